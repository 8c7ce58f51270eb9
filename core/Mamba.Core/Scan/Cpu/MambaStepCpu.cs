using Mamba.Core.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// The one-token step of a Mamba-1 mixer fused into C# SIMD passes over raw memory, for float32 CPU inference:
/// in_proj as a GEMV, the conv window shift with its taps and silu, x_proj and dt_proj as GEMVs, softplus, the state
/// update h' = exp(δA) ⊙ h + δu·B with y = C·h' + D·u gated by silu(z), and out_proj — a dozen libtorch calls and their
/// intermediate tensors per layer replaced by five passes. Each GEMV reads a weight row once for every stream of the
/// batch, rows split over the cores.
/// </summary>
internal static unsafe class MambaStepCpu
{
    /// <summary>Rows of a GEMV per parallel task: enough work per task to pay for its scheduling.</summary>
    private const int RowsPerTask = 64;

    /// <summary>
    /// The largest batch the fused step takes: at batch 8 libtorch's GEMM beat its GEMVs (107 against 169 tokens/s for
    /// the 24-layer stack, docs/benchmarks.md), at batch 1 it is 1.6× the libtorch step.
    /// </summary>
    public const long MaxBatch = 1;

    /// <summary>Whether the fused step can run this call: float32 CPU tensors, a single stream, no gradient wanted, selection on.</summary>
    public static bool Supports(MambaBlock block, Tensor hidden, MambaState state) =>
        hidden.device_type == DeviceType.CPU && hidden.dtype == ScalarType.Float32 && hidden.dim() == 2 && hidden.shape[0] <= MaxBatch
        && state.Conv.dtype == ScalarType.Float32 && state.Ssm.dtype == ScalarType.Float32
        && block.Ssm.LtiB is null && SimdWidths.IsAccelerated(SimdWidths.Widest)
        && !(is_grad_enabled() && block.parameters().Any(p => p.requires_grad));

    /// <summary>hidden (B, d_model) and the layer's state → (B, d_model) and the advanced state (new tensors).</summary>
    public static (Tensor Output, MambaState State) Step(MambaBlock block, Tensor hidden, MambaState state)
    {
        var ssm = block.Ssm;
        long batch = hidden.shape[0], model = block.ModelDim, inner = block.InnerDim, n = ssm.StateSize, rank = ssm.DtRank;
        long kernel = ssm.Conv.Kernel, projected = rank + 2 * n;
        using var scope = NewDisposeScope();
        var h = hidden.contiguous();
        var conv = state.Conv.contiguous();
        var states = state.Ssm.contiguous();
        var a = (-ssm.ALog.exp()).contiguous();
        var xz = empty([batch, 2 * inner]);
        var dbc = empty([batch, projected]);
        var dt = empty([batch, inner]);
        var y = empty([batch, inner]);
        var output = empty([batch, model]);
        var nextConv = empty([batch, inner, kernel]);
        var nextStates = empty([batch, inner, n]);
        var layer = new Pointers
        {
            InProj = RowMath.Pointer(block.InProj.weight!.contiguous()), InBias = Bias(block.InProj.bias),
            ConvWeight = RowMath.Pointer(ssm.Conv.Weight.contiguous()), ConvBias = Bias(ssm.Conv.Bias),
            XProj = RowMath.Pointer(ssm.XProj.weight!.contiguous()), DtProj = RowMath.Pointer(ssm.DtProj.weight!.contiguous()),
            DtBias = RowMath.Pointer(ssm.DtProj.bias!.contiguous()), A = RowMath.Pointer(a), D = RowMath.Pointer(ssm.D.contiguous()),
            OutProj = RowMath.Pointer(block.OutProj.weight!.contiguous()), OutBias = Bias(block.OutProj.bias),
        };
        var width = SimdWidths.Widest;
        float* pHidden = RowMath.Pointer(h), pXz = RowMath.Pointer(xz), pDbc = RowMath.Pointer(dbc), pDt = RowMath.Pointer(dt), pY = RowMath.Pointer(y);

        // in_proj: (B, d_model) → x, z (B, 2E).
        Gemv(layer.InProj, layer.InBias, pHidden, model, model, 2 * inner, batch, pXz, 2 * inner, width);
        // The conv window moves one step; its newest tap is x. convolved = silu(Σ taps), written over x in place.
        float* pConv = RowMath.Pointer(conv), pNextConv = RowMath.Pointer(nextConv);
        for (long b = 0; b < batch; b++)
            for (long e = 0; e < inner; e++)
            {
                float* from = pConv + (b * inner + e) * kernel, to = pNextConv + (b * inner + e) * kernel, w = layer.ConvWeight + e * kernel;
                float x = pXz[b * 2 * inner + e], sum = layer.ConvBias == null ? 0f : layer.ConvBias[e];
                for (long k = 0; k + 1 < kernel; k++)
                {
                    to[k] = from[k + 1];
                    sum += w[k] * to[k];
                }
                to[kernel - 1] = x;
                sum += w[kernel - 1] * x;
                pXz[b * 2 * inner + e] = sum * RowMath.Sigmoid(sum);
            }
        // x_proj: convolved (B, E) → Δ low rank, B, C (B, R + 2N); dt_proj: Δ (B, R) → (B, E), bias and softplus in the state pass.
        Gemv(layer.XProj, null, pXz, 2 * inner, inner, projected, batch, pDbc, projected, width);
        Gemv(layer.DtProj, null, pDbc, projected, rank, inner, batch, pDt, inner, width);
        Update(layer, pXz, pDbc, pDt, RowMath.Pointer(states), RowMath.Pointer(nextStates), pY, batch, inner, n, rank, width);
        // out_proj: gated y (B, E) → (B, d_model).
        Gemv(layer.OutProj, layer.OutBias, pY, inner, inner, model, batch, RowMath.Pointer(output), model, width);
        return (output.MoveToOuterDisposeScope(), new MambaState(nextConv, nextStates).MoveToOuterDisposeScope());
    }

    private static float* Bias(Tensor? bias) => bias is null ? null : RowMath.Pointer(bias.contiguous());

    /// <summary>Raw memory of one mixer's parameters (row-major weights, as nn.Linear keeps them: out × in).</summary>
    private struct Pointers
    {
        public float* InProj, InBias, ConvWeight, ConvBias, XProj, DtProj, DtBias, A, D, OutProj, OutBias;
    }

    /// <summary>
    /// out[b, r] = W[r] · x[b] (+ bias[r]) for rows [0, rows): x rows are <paramref name="xStride"/> floats apart and
    /// <paramref name="cols"/> long, out rows <paramref name="outStride"/> apart.
    /// </summary>
    private static void Gemv(float* w, float* bias, float* x, long xStride, long cols, long rows, long batch, float* output, long outStride, SimdWidth width) =>
        SimdWidths.Pick<GemvPass>(width, Gemv<FloatVector512>, Gemv<FloatVector256>, Gemv<FloatVector128>)(w, bias, x, xStride, cols, rows, batch, output, outStride);

    private delegate void GemvPass(float* w, float* bias, float* x, long xStride, long cols, long rows, long batch, float* output, long outStride);

    private static void Gemv<TV>(float* w, float* bias, float* x, long xStride, long cols, long rows, long batch, float* output, long outStride)
        where TV : unmanaged, IFloatVector<TV>
    {
        long tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, task =>
        {
            long last = Math.Min(rows, (task + 1) * RowsPerTask);
            for (long r = task * RowsPerTask; r < last; r++)
            {
                float* row = w + r * cols;
                for (long b = 0; b < batch; b++)
                {
                    float* v = x + b * xStride;
                    // Four accumulators keep four multiply-adds in flight instead of one dependent chain.
                    TV a0 = TV.Zero, a1 = TV.Zero, a2 = TV.Zero, a3 = TV.Zero;
                    long i = 0, step = TV.Count;
                    for (; i + 4 * step <= cols; i += 4 * step)
                    {
                        a0 = TV.MultiplyAdd(TV.Load(row + i), TV.Load(v + i), a0);
                        a1 = TV.MultiplyAdd(TV.Load(row + i + step), TV.Load(v + i + step), a1);
                        a2 = TV.MultiplyAdd(TV.Load(row + i + 2 * step), TV.Load(v + i + 2 * step), a2);
                        a3 = TV.MultiplyAdd(TV.Load(row + i + 3 * step), TV.Load(v + i + 3 * step), a3);
                    }
                    for (; i + step <= cols; i += step) a0 = TV.MultiplyAdd(TV.Load(row + i), TV.Load(v + i), a0);
                    float sum = TV.Sum(a0 + a1 + (a2 + a3));
                    for (; i < cols; i++) sum += row[i] * v[i];
                    output[b * outStride + r] = bias == null ? sum : sum + bias[r];
                }
            }
        });
    }

    private delegate void UpdatePass(in Pointers layer, float* xz, float* dbc, float* dt, float* states, float* next, float* y, long batch, long inner, long n, long rank);

    private static void Update(in Pointers layer, float* xz, float* dbc, float* dt, float* states, float* next, float* y, long batch, long inner, long n, long rank, SimdWidth width) =>
        SimdWidths.Pick<UpdatePass>(width, Update<FloatVector512>, Update<FloatVector256>, Update<FloatVector128>)(layer, xz, dbc, dt, states, next, y, batch, inner, n, rank);

    /// <summary>
    /// The state pass: per stream and channel, δ = softplus(dt + bias), h' = exp(δ·A) ⊙ h + δ·u·B over the N states in
    /// vectors, y = (C·h' + D·u)·silu(z).
    /// </summary>
    private static void Update<TV>(in Pointers layer, float* xz, float* dbc, float* dt, float* states, float* next, float* y, long batch, long inner, long n, long rank)
        where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;
        for (long b = 0; b < batch; b++)
        {
            float* bRow = dbc + b * (rank + 2 * n) + rank, cRow = bRow + n;
            for (long e = 0; e < inner; e++)
            {
                float u = xz[b * 2 * inner + e], z = xz[b * 2 * inner + inner + e];
                float delta = RowMath.Softplus(dt[b * inner + e] + layer.DtBias[e]);
                float* h = states + (b * inner + e) * n, hNext = next + (b * inner + e) * n, a = layer.A + e * n;
                var deltaV = TV.Create(delta);
                var drive = TV.Create(delta * u);
                var acc = TV.Zero;
                long k = 0;
                for (; k + lanes <= n; k += lanes)
                {
                    var updated = TV.MultiplyAdd(RowMath.Exp(deltaV * TV.Load(a + k)), TV.Load(h + k), drive * TV.Load(bRow + k));
                    updated.Store(hNext + k);
                    acc = TV.MultiplyAdd(updated, TV.Load(cRow + k), acc);
                }
                float sum = TV.Sum(acc);
                for (; k < n; k++)
                {
                    float updated = MathF.Exp(delta * a[k]) * h[k] + delta * u * bRow[k];
                    hNext[k] = updated;
                    sum += updated * cRow[k];
                }
                float value = sum + layer.D[e] * u;
                y[b * inner + e] = value * z * RowMath.Sigmoid(z);
            }
        }
    }
}
