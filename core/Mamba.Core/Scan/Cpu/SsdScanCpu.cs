
namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Raw memory of one fused SSD scan. Sizes: x, y (Batch, Length, Heads, HeadDim); dt (Batch, Length, Heads);
/// A, D, bias (Heads); B, C (Batch, Length, Groups, N); states (Batch, Heads, HeadDim, N);
/// carries (Batch, Heads, Chunks, HeadDim, N). N is padded to a multiple of <see cref="RowMath.StatePadding"/> with zero lanes.
/// </summary>
internal unsafe struct SsdScanBuffers
{
    public long Batch, Length, Heads, HeadDim, Groups, StateSize;
    public bool Softplus;
    public float* X, Dt, A, B, C, D, Bias, InitialStates;
    public float* Output, Carries, FinalStates;

    public readonly long Chunks => (Length + SsdScanCpu.CarryInterval - 1) / SsdScanCpu.CarryInterval;
}

/// <summary>Raw memory of the gradients of one fused SSD scan.</summary>
internal unsafe struct SsdScanGradients
{
    public float* DOutput, DFinalStates;
    public float* DX, DDt, DInitialStates;
    /// <summary>(Batch, Heads) each: summed over the batch afterwards.</summary>
    public float* DAPartial, DDPartial, DBiasPartial;
    /// <summary>(Batch, Length, Groups, N): written whole by the backward pass.</summary>
    public float* DB, DC;
}

/// <summary>
/// The fused CPU SSD (Mamba-2) scan as a recurrence: per (batch, head) a (HeadDim × N) state whose rows hold N
/// states in SIMD lanes, decayed by one scalar exp(δ·A_h) per step. On a CPU this does the same multiply-adds
/// as the chunked matmul form without its O(chunk²) intra-chunk work. States are stored every
/// <see cref="CarryInterval"/> steps and recomputed chunk by chunk in the backward pass.
/// </summary>
internal static unsafe class SsdScanCpu
{
    /// <summary>Steps between stored states.</summary>
    public const int CarryInterval = 64;

    /// <summary>The forward pass in vectors of <paramref name="width"/>.</summary>
    public static void Forward(SsdScanBuffers p, SimdWidth width) =>
        SimdWidths.Pick<Action<SsdScanBuffers>>(width, Forward<FloatVector512>, Forward<FloatVector256>, Forward<FloatVector128>)(p);

    /// <summary>The backward pass in vectors of <paramref name="width"/>.</summary>
    public static void Backward(SsdScanBuffers p, SsdScanGradients grads, SimdWidth width) =>
        SimdWidths.Pick<Action<SsdScanBuffers, SsdScanGradients>>(width, Backward<FloatVector512>, Backward<FloatVector256>, Backward<FloatVector128>)(p, grads);

    private static void Forward<TV>(SsdScanBuffers p) where TV : unmanaged, IFloatVector<TV>
    {
        long stateFloats = p.HeadDim * p.StateSize;
        Parallel.For(0, p.Batch * p.Heads,
            () => new Scratch(2 * p.Length + stateFloats),
            (bh, _, scratch) =>
            {
                ForwardHead<TV>(p, bh, scratch.Data, scratch.Data + p.Length, scratch.Data + 2 * p.Length);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    private static void ForwardHead<TV>(in SsdScanBuffers p, long bh, float* rawDt, float* dt, float* state) where TV : unmanaged, IFloatVector<TV>
    {
        long b = bh / p.Heads, h = bh % p.Heads, g = h / (p.Heads / p.Groups);
        long n = p.StateSize, dim = p.HeadDim, stateFloats = dim * n;
        float* carries = p.Carries + bh * p.Chunks * stateFloats;
        float aH = p.A[h], dSkip = p.D == null ? 0f : p.D[h];

        StepSizes<TV>(p, b, h, rawDt, dt, null);
        if (p.InitialStates != null) RowMath.Copy(p.InitialStates + bh * stateFloats, state, stateFloats);
        else new Span<float>(state, (int)stateFloats).Clear();

        for (long t = 0; t < p.Length; t++)
        {
            if (t % CarryInterval == 0) RowMath.Copy(state, carries + t / CarryInterval * stateFloats, stateFloats);
            long row = (b * p.Length + t) * p.Heads + h;
            float* x = p.X + row * dim, y = p.Output + row * dim;
            float* bt = p.B + ((b * p.Length + t) * p.Groups + g) * n, ct = p.C + ((b * p.Length + t) * p.Groups + g) * n;
            var decay = TV.Create(MathF.Exp(dt[t] * aH));
            for (long i = 0; i < dim; i++)
            {
                float* s = state + i * n;
                var drive = TV.Create(dt[t] * x[i]);
                var acc = TV.Zero;
                for (long k = 0; k < n; k += TV.Count)
                {
                    var sv = TV.MultiplyAdd(decay, TV.Load(s + k), drive * TV.Load(bt + k));
                    sv.Store(s + k);
                    acc = TV.MultiplyAdd(sv, TV.Load(ct + k), acc);
                }
                y[i] = TV.Sum(acc) + dSkip * x[i];
            }
        }
        RowMath.Copy(state, p.FinalStates + bh * stateFloats, stateFloats);
    }

    /// <summary>Gathers head h's dt over time (stride Heads) and applies bias and softplus.</summary>
    private static void StepSizes<TV>(in SsdScanBuffers p, long b, long h, float* raw, float* dt, float* slope) where TV : unmanaged, IFloatVector<TV>
    {
        float* source = p.Dt + b * p.Length * p.Heads + h;
        for (long t = 0; t < p.Length; t++) raw[t] = source[t * p.Heads];
        RowMath.StepSizes<TV>(raw, p.Bias == null ? 0f : p.Bias[h], p.Softplus, dt, slope, p.Length);
    }

    private static void Backward<TV>(SsdScanBuffers p, SsdScanGradients grads) where TV : unmanaged, IFloatVector<TV>
    {
        long headsPerGroup = p.Heads / p.Groups;
        long groupsTotal = p.Batch * p.Groups;
        long blocks = Math.Clamp((4L * Environment.ProcessorCount + groupsTotal - 1) / groupsTotal, 1, headsPerGroup);
        long blockSize = (headsPerGroup + blocks - 1) / blocks;
        long n = p.StateSize, length = p.Length, stateFloats = p.HeadDim * n;
        // Per-task dB/dC buffers (time-major, (Length, N)), summed in task order afterwards for a deterministic result.
        long perTask = 2 * length * n;
        using var accumulators = new Scratch(groupsTotal * blocks * perTask);
        accumulators.Clear();

        Parallel.For(0, groupsTotal * blocks, task =>
        {
            long bg = task / blocks, block = task % blocks;
            long b = bg / p.Groups, g = bg % p.Groups;
            long first = g * headsPerGroup + block * blockSize;
            long last = Math.Min(first + blockSize, (g + 1) * headsPerGroup);
            if (first >= last) return;

            using var scratch = new Scratch(4 * length + (CarryInterval + 2) * stateFloats);
            float* dBAcc = accumulators.Data + task * perTask, dCAcc = dBAcc + length * n;
            float* raw = scratch.Data, dt = raw + length, slope = dt + length, dDt = slope + length;
            float* states = dDt + length, adjoint = states + (CarryInterval + 1) * stateFloats;

            for (long h = first; h < last; h++)
                BackwardHead<TV>(p, grads, b, h, dBAcc, dCAcc, raw, dt, slope, dDt, states, adjoint);
        });

        for (long bg = 0; bg < groupsTotal; bg++)
        {
            long b = bg / p.Groups, g = bg % p.Groups;
            for (long t = 0; t < length; t++)
            {
                long offset = ((b * length + t) * p.Groups + g) * n;
                RowMath.Copy(accumulators.Data + bg * blocks * perTask + t * n, grads.DB + offset, n);
                RowMath.Copy(accumulators.Data + bg * blocks * perTask + (length + t) * n, grads.DC + offset, n);
                for (long block = 1; block < blocks; block++)
                {
                    float* own = accumulators.Data + (bg * blocks + block) * perTask;
                    RowMath.AddInPlace<TV>(grads.DB + offset, own + t * n, n);
                    RowMath.AddInPlace<TV>(grads.DC + offset, own + (length + t) * n, n);
                }
            }
        }
    }

    private static void BackwardHead<TV>(in SsdScanBuffers p, in SsdScanGradients grads, long b, long h,
        float* dBAcc, float* dCAcc, float* raw, float* dt, float* slope, float* dDt, float* states, float* adjoint) where TV : unmanaged, IFloatVector<TV>
    {
        long g = h / (p.Heads / p.Groups), bh = b * p.Heads + h;
        long n = p.StateSize, dim = p.HeadDim, stateFloats = dim * n;
        float* carries = p.Carries + bh * p.Chunks * stateFloats;
        float aH = p.A[h], dSkip = p.D == null ? 0f : p.D[h];
        float dASum = 0f, dDSum = 0f;

        StepSizes<TV>(p, b, h, raw, dt, p.Softplus ? slope : null);
        // The adjoint G_t = ∂loss/∂S_t (HeadDim × N) runs backwards: G_t = dy_t ⊗ C_t + exp(δ_{t+1}A_h)·G_{t+1}.
        RowMath.Copy(grads.DFinalStates + bh * stateFloats, adjoint, stateFloats);

        for (long chunk = p.Chunks - 1; chunk >= 0; chunk--)
        {
            long start = chunk * CarryInterval, end = Math.Min(start + CarryInterval, p.Length);
            RowMath.Copy(carries + chunk * stateFloats, states, stateFloats);
            for (long t = start; t < end; t++)
            {
                long row = (b * p.Length + t) * p.Heads + h;
                float* x = p.X + row * dim, bt = p.B + ((b * p.Length + t) * p.Groups + g) * n;
                float* before = states + (t - start) * stateFloats, after = before + stateFloats;
                var decay = TV.Create(MathF.Exp(dt[t] * aH));
                for (long i = 0; i < dim; i++)
                {
                    var drive = TV.Create(dt[t] * x[i]);
                    for (long k = 0; k < n; k += TV.Count)
                        TV.MultiplyAdd(decay, TV.Load(before + i * n + k), drive * TV.Load(bt + k)).Store(after + i * n + k);
                }
            }

            for (long t = end - 1; t >= start; t--)
            {
                long row = (b * p.Length + t) * p.Heads + h;
                float* x = p.X + row * dim, dy = grads.DOutput + row * dim, dx = grads.DX + row * dim;
                long bcRow = ((b * p.Length + t) * p.Groups + g) * n;
                float* bt = p.B + bcRow, ct = p.C + bcRow, dBt = dBAcc + t * n, dCt = dCAcc + t * n;
                float* before = states + (t - start) * stateFloats, after = before + stateFloats;
                float a = MathF.Exp(dt[t] * aH);
                var decay = TV.Create(a);
                var sumGS = TV.Zero;
                float xGB = 0f;
                for (long i = 0; i < dim; i++)
                {
                    var dyV = TV.Create(dy[i]);
                    var dtx = TV.Create(dt[t] * x[i]);
                    var gb = TV.Zero;
                    float* gRow = adjoint + i * n;
                    for (long k = 0; k < n; k += TV.Count)
                    {
                        var gv = TV.MultiplyAdd(dyV, TV.Load(ct + k), TV.Load(gRow + k));
                        TV.MultiplyAdd(dyV, TV.Load(after + i * n + k), TV.Load(dCt + k)).Store(dCt + k);
                        TV.MultiplyAdd(dtx, gv, TV.Load(dBt + k)).Store(dBt + k);
                        gb = TV.MultiplyAdd(gv, TV.Load(bt + k), gb);
                        sumGS = TV.MultiplyAdd(gv, TV.Load(before + i * n + k), sumGS);
                        (decay * gv).Store(gRow + k);
                    }
                    float gbSum = TV.Sum(gb);
                    dx[i] = dt[t] * gbSum + dSkip * dy[i];
                    xGB += x[i] * gbSum;
                    dDSum += dy[i] * x[i];
                }
                float gs = TV.Sum(sumGS);
                dDt[t] = a * aH * gs + xGB;
                dASum += a * dt[t] * gs;
            }
        }

        RowMath.Copy(adjoint, grads.DInitialStates + bh * stateFloats, stateFloats);
        if (p.Softplus) RowMath.MultiplyInPlace<TV>(dDt, slope, p.Length);
        grads.DBiasPartial[bh] = RowMath.Sum<TV>(dDt, p.Length);
        grads.DAPartial[bh] = dASum;
        grads.DDPartial[bh] = dDSum;
        float* target = grads.DDt + b * p.Length * p.Heads + h;
        for (long t = 0; t < p.Length; t++) target[t * p.Heads] = dDt[t];
    }
}
