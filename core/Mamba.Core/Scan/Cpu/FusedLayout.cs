using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>Whether autograd will differentiate through a call on <paramref name="inputs"/>: only then does a kernel keep anything for its backward pass.</summary>
    public static bool NeedsGradient(params Tensor?[] inputs) => is_grad_enabled() && inputs.Any(t => t is not null && t.requires_grad);

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

/// <summary>
/// Where element (b, c, l) of a (batch, channels, length) float32 tensor lies: b·Batch + c·Channel + l·Time floats
/// from its first. The fused forward kernels read and write either layout a Mamba block produces without copying:
/// channel-major (Time = 1) or time-major (Channel = 1, a transposed view of a (B, L, ·) projection).
/// </summary>
internal readonly record struct RowStrides(long Batch, long Channel, long Time)
{
    /// <summary>The strides of a 3-D tensor.</summary>
    public static RowStrides Of(Tensor t) => new(t.stride(0), t.stride(1), t.stride(2));

    /// <summary>Whether a tile's channels are consecutive floats, the layout in which a tile is gathered step by step.</summary>
    public bool IsTimeMajor => Channel == 1 && Time != 1;
}

/// <summary>Moves (channels × steps) tiles between a strided (B, C, L) tensor and dense rows a kernel works on.</summary>
internal static unsafe class Tiles
{
    /// <summary>
    /// Steps ahead whose cache line is prefetched when a tile is read or written step by step: consecutive steps of a
    /// time-major tensor are a row (1 KiB or more) apart, a pattern across pages that the hardware prefetchers do not
    /// follow, so without this every step waits for memory (gathering 4 × 256 × 2,048 floats ran 5× slower, measured).
    /// </summary>
    private const int PrefetchSteps = 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* at)
    {
        // Prefetches never fault, so running past the tensor's end is harmless.
        if (Sse.IsSupported) Sse.Prefetch0(at);
    }

    /// <summary>
    /// Copies channels [first, first + count) × steps [start, start + steps) of batch b from <paramref name="source"/> into
    /// <paramref name="rows"/>, one row of <paramref name="rowStride"/> floats per channel.
    /// </summary>
    public static void Gather(float* source, RowStrides s, long b, long first, long count, long start, long steps, float* rows, long rowStride)
    {
        float* origin = source + b * s.Batch + first * s.Channel + start * s.Time;
        if (s.IsTimeMajor)
        {
            for (long t = 0; t < steps; t++)
            {
                float* at = origin + t * s.Time;
                Prefetch(at + PrefetchSteps * s.Time);
                for (long i = 0; i < count; i++) rows[i * rowStride + t] = at[i];
            }
            return;
        }
        for (long i = 0; i < count; i++)
        {
            float* row = origin + i * s.Channel;
            if (s.Time == 1) RowMath.Copy(row, rows + i * rowStride, steps);
            else for (long t = 0; t < steps; t++) rows[i * rowStride + t] = row[t * s.Time];
        }
    }

    /// <summary>
    /// Copies channels [first, first + count) × steps [start, start + steps) of batch b into lane-major rows: step t's
    /// values are the TV.Count floats at t·TV.Count, channels beyond count zero.
    /// </summary>
    public static void GatherLanes<TV>(float* source, RowStrides s, long b, long first, long count, long start, long steps, float* rows)
        where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;
        float* origin = source + b * s.Batch + first * s.Channel + start * s.Time;
        if (count < lanes) new Span<float>(rows, (int)(steps * lanes)).Clear();
        if (s.IsTimeMajor)
        {
            // A step's channels are one vector: a load and a store, not a copy call (which cost more than the step's math).
            for (long t = 0; t < steps; t++)
            {
                float* at = origin + t * s.Time;
                Prefetch(at + PrefetchSteps * s.Time);
                if (count == lanes) TV.Load(at).Store(rows + t * lanes);
                else for (long i = 0; i < count; i++) rows[t * lanes + i] = at[i];
            }
            return;
        }
        for (long i = 0; i < count; i++)
        {
            float* row = origin + i * s.Channel;
            for (long t = 0; t < steps; t++) rows[t * lanes + i] = row[t * s.Time];
        }
    }

    /// <summary>The inverse of <see cref="GatherLanes"/>: writes the first count lanes of each step back into the tile.</summary>
    public static void ScatterLanes<TV>(float* rows, float* target, RowStrides s, long b, long first, long count, long start, long steps)
        where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;
        float* origin = target + b * s.Batch + first * s.Channel + start * s.Time;
        if (s.IsTimeMajor)
        {
            for (long t = 0; t < steps; t++)
            {
                float* at = origin + t * s.Time;
                Prefetch(at + PrefetchSteps * s.Time);
                if (count == lanes) TV.Load(rows + t * lanes).Store(at);
                else for (long i = 0; i < count; i++) at[i] = rows[t * lanes + i];
            }
            return;
        }
        for (long i = 0; i < count; i++)
        {
            float* row = origin + i * s.Channel;
            for (long t = 0; t < steps; t++) row[t * s.Time] = rows[t * lanes + i];
        }
    }

    /// <summary>The inverse of <see cref="Gather"/>: writes the rows back into the tile of <paramref name="target"/>.</summary>
    public static void Scatter(float* rows, long rowStride, float* target, RowStrides s, long b, long first, long count, long start, long steps)
    {
        float* origin = target + b * s.Batch + first * s.Channel + start * s.Time;
        if (s.IsTimeMajor)
        {
            for (long t = 0; t < steps; t++)
            {
                float* at = origin + t * s.Time;
                Prefetch(at + PrefetchSteps * s.Time);
                for (long i = 0; i < count; i++) at[i] = rows[i * rowStride + t];
            }
            return;
        }
        for (long i = 0; i < count; i++)
        {
            float* row = origin + i * s.Channel;
            if (s.Time == 1) RowMath.Copy(rows + i * rowStride, row, steps);
            else for (long t = 0; t < steps; t++) row[t * s.Time] = rows[i * rowStride + t];
        }
    }
}
