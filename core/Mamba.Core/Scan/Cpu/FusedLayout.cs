using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>Puts tensors into the layout the fused kernels read: contiguous float32, state axis padded to whole vectors.</summary>
internal static class FusedLayout
{
    /// <summary>N rounded up to a multiple of <see cref="RowMath.StatePadding"/>.</summary>
    public static long PadStateSize(long n) => (n + RowMath.StatePadding - 1) / RowMath.StatePadding * RowMath.StatePadding;

    public static Tensor Float32(Tensor t) => t.to_type(ScalarType.Float32).contiguous();

    public static Tensor? Float32OrNull(Tensor? t) => t is null ? null : Float32(t);

    /// <summary>An output gradient as contiguous float32, or zeros of <paramref name="shape"/> where autograd passed none.</summary>
    public static Tensor Float32OrZeros(Tensor? gradient, long[] shape) =>
        gradient is null || gradient.IsInvalid ? zeros(shape, ScalarType.Float32) : Float32(gradient);

    /// <summary>Zero-pads the last axis to <paramref name="size"/>.</summary>
    public static Tensor PadLast(Tensor t, long size) =>
        t.shape[^1] == size ? t.contiguous() : nn.functional.pad(t, [0, size - t.shape[^1]]).contiguous();

    /// <summary>
    /// Saves tensors for the backward pass. TorchSharp captures them only after forward returns, so they must
    /// outlive forward's dispose scope; the saved variables then hold their own references.
    /// </summary>
    public static void SaveForBackward(autograd.AutogradContext ctx, params Tensor?[] tensors)
    {
        foreach (var tensor in tensors) tensor?.MoveToOuterDisposeScope();
        ctx.save_for_backward([.. tensors.Select(t => t!)]);
    }

    /// <summary>B or C, (B, N, L) or (B, G, N, L), as time-major float32 (B, G, L, N padded).</summary>
    public static Tensor TimeMajor(Tensor bc, long paddedStateSize)
    {
        var grouped = bc.dim() == 3 ? bc.unsqueeze(1) : bc;
        return PadLast(grouped.to_type(ScalarType.Float32).transpose(-1, -2), paddedStateSize);
    }
}
