using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// Root-mean-square normalisation over the last axis: x / √(mean(x²) + ε) · w, computed in fp32 and returned in the
/// input's dtype. TorchSharp has no RMSNorm; this is mamba_ssm's (ε = 1e-5, w initialised to 1). Parameter: <c>weight</c>.
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double _eps;

    /// <summary>Creates the norm for vectors of size <paramref name="dim"/>.</summary>
    public RmsNorm(long dim, double eps = 1e-5) : base(nameof(RmsNorm))
    {
        _eps = eps;
        Weight = new Parameter(ones(dim));
        register_parameter("weight", Weight);
    }

    /// <summary>The learned scale w, (dim).</summary>
    public Parameter Weight { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => Normalize(x, Weight, _eps);

    internal static Tensor Normalize(Tensor x, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        // A Scalar made implicitly from eps would be unreachable while add() allocates its alpha, so the GC could free it
        // before libtorch reads it; `using` keeps it alive to the end of the call.
        using Scalar epsilon = eps;
        var x32 = x.to_type(ScalarType.Float32);
        var normalised = x32 * x32.square().mean([-1], keepdim: true).add(epsilon).rsqrt() * weight;
        return normalised.to_type(x.dtype).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Mamba-2's gated RMSNorm: RMSNorm(y · silu(z)) · w, normalised per group of <c>groupSize</c> channels
/// (mamba_ssm normalises each of the ngroups groups on its own). Parameter: <c>weight</c>.
/// </summary>
public sealed class GatedRmsNorm : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly double _eps;
    private readonly long _groupSize;

    /// <summary>Creates the norm for vectors of size <paramref name="dim"/>, normalised in groups of <paramref name="groupSize"/> (default: all of it).</summary>
    public GatedRmsNorm(long dim, long? groupSize = null, double eps = 1e-5) : base(nameof(GatedRmsNorm))
    {
        _groupSize = groupSize ?? dim;
        if (dim % _groupSize != 0) throw new ArgumentException($"groupSize {_groupSize} must divide dim {dim}.", nameof(groupSize));
        _eps = eps;
        Weight = new Parameter(ones(dim));
        register_parameter("weight", Weight);
    }

    /// <summary>The learned scale w, (dim).</summary>
    public Parameter Weight { get; }

    /// <summary>Normalises <paramref name="y"/> gated by <paramref name="z"/>; both (..., dim).</summary>
    public override Tensor forward(Tensor y, Tensor z)
    {
        using var scope = NewDisposeScope();
        using Scalar epsilon = _eps;
        var gated = y.to_type(ScalarType.Float32) * nn.functional.silu(z.to_type(ScalarType.Float32));
        long[] grouped = [.. y.shape[..^1], y.shape[^1] / _groupSize, _groupSize];
        var g = gated.view(grouped);
        var normalised = (g * g.square().mean([-1], keepdim: true).add(epsilon).rsqrt()).view(y.shape) * Weight;
        return normalised.to_type(y.dtype).MoveToOuterDisposeScope();
    }
}
