using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>mamba_ssm's initialisation of the SSM parameters, and the marker for parameters that take no weight decay.</summary>
public static class SsmInit
{
    private static readonly ConditionalWeakTable<Parameter, object> NoWeightDecay = [];

    /// <summary>S4D-real: A_log[d, n] = log(n + 1), so A = −(1, 2, …, N) for every channel.</summary>
    public static Tensor S4DRealALog(long channels, long stateSize) =>
        arange(1, stateSize + 1, ScalarType.Float32).log().repeat(channels, 1).contiguous();

    /// <summary>Δ values drawn log-uniformly in [<paramref name="dtMin"/>, <paramref name="dtMax"/>], clamped below by <paramref name="floor"/>.</summary>
    public static Tensor LogUniformDt(long count, double dtMin, double dtMax, double floor)
    {
        using var scope = NewDisposeScope();
        var dt = (rand(count) * (Math.Log(dtMax) - Math.Log(dtMin)) + Math.Log(dtMin)).exp().clamp_min(floor);
        return dt.MoveToOuterDisposeScope();
    }

    /// <summary>The bias b with softplus(b) = <paramref name="dt"/>: b = dt + log(−expm1(−dt)).</summary>
    public static Tensor InverseSoftplus(Tensor dt) => dt + (-(-dt).expm1()).log();

    /// <summary>dt_proj: weight U(±R^−½), bias the inverse softplus of a log-uniform Δ.</summary>
    public static void InitializeDtProjection(Linear dtProj, long rank, double dtMin, double dtMax, double floor)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        double bound = Math.Pow(rank, -0.5);
        dtProj.weight!.uniform_(-bound, bound);
        dtProj.bias!.copy_(InverseSoftplus(LogUniformDt(dtProj.bias.shape[0], dtMin, dtMax, floor)));
    }

    /// <summary>Marks parameters that optimisers must not decay (A_log, D, the Δ bias), as mamba_ssm's <c>_no_weight_decay</c> does.</summary>
    public static void ExemptFromWeightDecay(params Parameter[] parameters)
    {
        foreach (var p in parameters) NoWeightDecay.AddOrUpdate(p, true);
    }

    /// <summary>True for parameters marked by <see cref="ExemptFromWeightDecay"/>.</summary>
    public static bool IsExemptFromWeightDecay(Parameter parameter) => NoWeightDecay.TryGetValue(parameter, out _);
}
