using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>The tensor-level pieces shared by the libtorch kernels (reference, chunked) and the step updates.</summary>
internal static class ScanMath
{
    /// <summary>Scans run in fp32 inside (fp64 when given fp64, so finite differences can check them).</summary>
    public static ScalarType ComputeType(Tensor t) => t.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>δ = softplus(delta + bias) or delta + bias; softplus is linear above 20, as in mamba_ssm.</summary>
    public static Tensor StepSize(Tensor delta, Tensor? bias, bool softplus, ScalarType type, int biasDim)
    {
        var dt = delta.to_type(type);
        if (bias is not null)
        {
            var shape = Enumerable.Repeat(1L, (int)delta.dim()).ToArray();
            shape[biasDim] = bias.shape[0];
            dt = dt + bias.to_type(type).view(shape);
        }
        return softplus ? nn.functional.softplus(dt, beta: 1, threshold: 20) : dt;
    }

    /// <summary>Expands B or C, (B, N, L) or (B, G, N, L), to one slice per channel: (B, D, N, L).</summary>
    public static Tensor PerChannel(Tensor bc, long channels, ScalarType type)
    {
        var grouped = bc.dim() == 3 ? bc.unsqueeze(1) : bc;
        long groups = grouped.shape[1];
        var typed = grouped.to_type(type);
        return groups == channels ? typed : typed.repeat_interleave(channels / groups, dim: 1);
    }

    /// <summary>Expands B or C of an SSD scan, (b, l, g, n), to one slice per head: (b, l, h, n).</summary>
    public static Tensor PerHead(Tensor bc, long heads, ScalarType type)
    {
        long groups = bc.shape[2];
        var typed = bc.to_type(type);
        return groups == heads ? typed : typed.repeat_interleave(heads / groups, dim: 2);
    }

    /// <summary>out = y + D·u, gated by silu(z) when z is given; y and u are (B, D, L).</summary>
    public static Tensor SkipAndGate(Tensor y, Tensor u, Tensor? d, Tensor? z, ScalarType type)
    {
        var output = d is null ? y : y + d.to_type(type).unsqueeze(-1) * u.to_type(type);
        return z is null ? output : output * nn.functional.silu(z.to_type(type));
    }
}
