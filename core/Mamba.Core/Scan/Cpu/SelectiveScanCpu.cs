using System.Runtime.CompilerServices;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Raw memory of one fused Mamba-1 scan. Sizes: u, delta, z, output (Batch, Channels, Length); A (Channels, N);
/// B, C time-major (Batch, Groups, Length, N); carries (Batch, Channels, Chunks, N): the state entering each chunk.
/// N is padded to a multiple of <see cref="RowMath.StatePadding"/> with A = B = C = 0 lanes, which stay zero and add nothing.
/// </summary>
internal unsafe struct SelectiveScanBuffers
{
    public long Batch, Channels, Length, StateSize, Groups;
    public bool Softplus;
    public float* U, Delta, A, B, C, D, Z, Bias, InitialState;
    public float* Output, Gated, Carries, FinalState;

    public readonly long Chunks => (Length + SelectiveScanCpu.CarryInterval - 1) / SelectiveScanCpu.CarryInterval;
}

/// <summary>Raw memory of the gradients of one fused Mamba-1 scan; per-(batch, channel) partials are summed by the caller.</summary>
internal unsafe struct SelectiveScanGradients
{
    public float* DOutput, DFinalState;
    public float* DU, DDelta, DZ, DInitialState;
    /// <summary>(Batch, Channels, N), (Batch, Channels), (Batch, Channels): summed over the batch afterwards.</summary>
    public float* DAPartial, DDPartial, DBiasPartial;
    /// <summary>(Batch, Groups, Length, N): written whole by the backward pass.</summary>
    public float* DB, DC;
}

/// <summary>
/// The fused CPU selective scan: channel-major, the N states of a channel in SIMD lanes (at any width of
/// <see cref="SimdWidth"/>), threads over (batch, channel). No (B, D, L, N) tensor exists: the forward stores the state every
/// <see cref="CarryInterval"/> steps, and the backward recomputes each chunk's states from its carry
/// before running the adjoint recurrence backwards through it.
/// </summary>
internal static unsafe class SelectiveScanCpu
{
    /// <summary>Steps between stored states; the backward recomputes at most this many at a time.</summary>
    public const int CarryInterval = 64;

    /// <summary>Channels a forward task runs together, sweeping time in tiles so B and C stay in cache.</summary>
    private const int ChannelBlock = 16;

    /// <summary>
    /// Time steps per tile: every channel of a block runs a tile before the next one starts, so a tile of B and C
    /// (256·N floats each) is shared from cache by all of them instead of each channel streaming all L·N floats.
    /// Measured as no slower at L = 2048 (docs/benchmarks.md); its effect at long L is not separated from the
    /// allocator slowdown recorded there.
    /// </summary>
    private const int TimeTile = 256;

    /// <summary>The forward pass in vectors of <paramref name="width"/>.</summary>
    public static void Forward(SelectiveScanBuffers p, SimdWidth width)
    {
        Action<SelectiveScanBuffers> forward = width switch { SimdWidth.Bits512 => Forward<FloatVector512>, SimdWidth.Bits256 => Forward<FloatVector256>, _ => Forward<FloatVector128> };
        forward(p);
    }

    /// <summary>The backward pass in vectors of <paramref name="width"/>.</summary>
    public static void Backward(SelectiveScanBuffers p, SelectiveScanGradients grads, SimdWidth width)
    {
        Action<SelectiveScanBuffers, SelectiveScanGradients> backward = width switch { SimdWidth.Bits512 => Backward<FloatVector512>, SimdWidth.Bits256 => Backward<FloatVector256>, _ => Backward<FloatVector128> };
        backward(p, grads);
    }

    private static void Forward<TV>(SelectiveScanBuffers p) where TV : unmanaged, IFloatVector<TV>
    {
        long blocksPerBatch = (p.Channels + ChannelBlock - 1) / ChannelBlock;
        Parallel.For(0, p.Batch * blocksPerBatch,
            () => new Scratch(ChannelBlock * (p.Length + p.StateSize)),
            (item, _, scratch) =>
            {
                long b = item / blocksPerBatch, first = item % blocksPerBatch * ChannelBlock;
                ForwardBlock<TV>(p, b, first, Math.Min(first + ChannelBlock, p.Channels), scratch.Data);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    private static void ForwardBlock<TV>(in SelectiveScanBuffers p, long b, long first, long last, float* scratch) where TV : unmanaged, IFloatVector<TV>
    {
        long n = p.StateSize, length = p.Length, count = last - first;
        float* dts = scratch, states = scratch + count * length;

        for (long d = first; d < last; d++)
        {
            long bd = b * p.Channels + d, i = d - first;
            RowMath.StepSizes<TV>(p.Delta + bd * length, p.Bias == null ? 0f : p.Bias[d], p.Softplus, dts + i * length, null, length);
            if (p.InitialState != null) RowMath.Copy(p.InitialState + bd * n, states + i * n, n);
            else new Span<float>(states + i * n, (int)n).Clear();
        }

        for (long tile = 0; tile < length; tile += TimeTile)
        {
            long end = Math.Min(tile + TimeTile, length);
            for (long d = first; d < last; d++)
            {
                long bd = b * p.Channels + d, i = d - first, g = d / (p.Channels / p.Groups);
                float* u = p.U + bd * length, y = p.Output + bd * length, a = p.A + d * n, dt = dts + i * length, h = states + i * n;
                float* bRows = p.B + (b * p.Groups + g) * length * n, cRows = p.C + (b * p.Groups + g) * length * n;
                float* carries = p.Carries + bd * p.Chunks * n;
                for (long l = tile; l < end; l++)
                {
                    if (l % CarryInterval == 0) RowMath.Copy(h, carries + l / CarryInterval * n, n);
                    y[l] = Step<TV>(h, h, a, bRows + l * n, cRows + l * n, dt[l], dt[l] * u[l], n, null);
                }
            }
        }

        for (long d = first; d < last; d++)
        {
            long bd = b * p.Channels + d;
            RowMath.Copy(states + (d - first) * n, p.FinalState + bd * n, n);
            RowMath.SkipAndGate<TV>(p.Output + bd * length, p.U + bd * length, p.D == null ? 0f : p.D[d],
                p.Z == null ? null : p.Z + bd * length, p.Gated == null ? null : p.Gated + bd * length, length);
        }
    }

    /// <summary>
    /// One time step for one channel: h' = exp(δA) ⊙ h + (δu)·B, returning C·h'. Reads <paramref name="h"/>,
    /// writes <paramref name="next"/> (may be the same) and, when given, the decay exp(δA) to <paramref name="decay"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Step<TV>(float* h, float* next, float* a, float* b, float* c, float dt, float dtu, long n, float* decay) where TV : unmanaged, IFloatVector<TV>
    {
        var dtV = TV.Create(dt);
        var driveV = TV.Create(dtu);
        var acc = TV.Zero;
        for (long k = 0; k < n; k += TV.Count)
        {
            var da = RowMath.Exp(dtV * TV.Load(a + k));
            if (decay != null) da.Store(decay + k);
            var hv = TV.MultiplyAdd(da, TV.Load(h + k), driveV * TV.Load(b + k));
            hv.Store(next + k);
            acc = TV.MultiplyAdd(hv, TV.Load(c + k), acc);
        }
        return TV.Sum(acc);
    }

    private static void Backward<TV>(SelectiveScanBuffers p, SelectiveScanGradients grads) where TV : unmanaged, IFloatVector<TV>
    {
        long channelsPerGroup = p.Channels / p.Groups;
        long groupsTotal = p.Batch * p.Groups;
        // Enough tasks to keep every core busy, each owning dB/dC accumulators for one (batch, group).
        long blocks = Math.Clamp((4L * Environment.ProcessorCount + groupsTotal - 1) / groupsTotal, 1, channelsPerGroup);
        long blockSize = (channelsPerGroup + blocks - 1) / blocks;
        long n = p.StateSize, length = p.Length;
        // Each task accumulates dB and dC for its channels in its own buffer; the buffers are summed in task order
        // afterwards, so the result does not depend on which thread finished first.
        long perTask = 2 * length * n;
        using var accumulators = new Scratch(groupsTotal * blocks * perTask);
        accumulators.Clear();

        Parallel.For(0, groupsTotal * blocks, task =>
        {
            long bg = task / blocks, block = task % blocks;
            long b = bg / p.Groups, g = bg % p.Groups;
            long first = g * channelsPerGroup + block * blockSize;
            long last = Math.Min(first + blockSize, (g + 1) * channelsPerGroup);
            if (first >= last) return;

            long q = CarryInterval;
            using var scratch = new Scratch(3 * length + (2 * q + 1) * n + 2 * n);
            float* dBAcc = accumulators.Data + task * perTask, dCAcc = dBAcc + length * n;
            float* dt = scratch.Data, slope = dt + length, dy = slope + length;
            float* states = dy + length, decays = states + (q + 1) * n, adjoint = decays + q * n, dA = adjoint + n;

            for (long d = first; d < last; d++)
                BackwardChannel<TV>(p, grads, b * p.Channels + d, dBAcc, dCAcc, dt, slope, dy, states, decays, adjoint, dA);
        });

        for (long bg = 0; bg < groupsTotal; bg++)
        {
            float* dB = grads.DB + bg * length * n, dC = grads.DC + bg * length * n;
            RowMath.Copy(accumulators.Data + bg * blocks * perTask, dB, length * n);
            RowMath.Copy(accumulators.Data + bg * blocks * perTask + length * n, dC, length * n);
            for (long block = 1; block < blocks; block++)
            {
                float* own = accumulators.Data + (bg * blocks + block) * perTask;
                RowMath.AddInPlace<TV>(dB, own, length * n);
                RowMath.AddInPlace<TV>(dC, own + length * n, length * n);
            }
        }
    }

    private static void BackwardChannel<TV>(in SelectiveScanBuffers p, in SelectiveScanGradients grads, long bd,
        float* dBAcc, float* dCAcc, float* dt, float* slope, float* dy, float* states, float* decays, float* adjoint, float* dA) where TV : unmanaged, IFloatVector<TV>
    {
        long n = p.StateSize, length = p.Length;
        long b = bd / p.Channels, d = bd % p.Channels, g = d / (p.Channels / p.Groups);
        float* u = p.U + bd * length, a = p.A + d * n;
        float* bRows = p.B + (b * p.Groups + g) * length * n, cRows = p.C + (b * p.Groups + g) * length * n;
        float* carries = p.Carries + bd * p.Chunks * n;
        float* du = grads.DU + bd * length, dDelta = grads.DDelta + bd * length;
        float dSkip = p.D == null ? 0f : p.D[d];

        RowMath.StepSizes<TV>(p.Delta + bd * length, p.Bias == null ? 0f : p.Bias[d], p.Softplus, dt, p.Softplus ? slope : null, length);
        RowMath.UngateGradient<TV>(grads.DOutput + bd * length, p.Z == null ? null : p.Z + bd * length,
            p.Gated == null ? null : p.Gated + bd * length, dy, grads.DZ == null ? null : grads.DZ + bd * length, length);
        grads.DDPartial[bd] = RowMath.Dot<TV>(dy, u, length);

        // The adjoint g_l = ∂loss/∂h_l runs backwards: g_l = dy_l·C_l + exp(δ_{l+1}A) ⊙ g_{l+1}, starting from ∂loss/∂h_L.
        RowMath.Copy(grads.DFinalState + bd * n, adjoint, n);
        new Span<float>(dA, (int)n).Clear();

        for (long chunk = p.Chunks - 1; chunk >= 0; chunk--)
        {
            long start = chunk * CarryInterval, end = Math.Min(start + CarryInterval, length);
            RowMath.Copy(carries + chunk * n, states, n);
            for (long l = start; l < end; l++)
            {
                long i = l - start;
                Step<TV>(states + i * n, states + (i + 1) * n, a, bRows + l * n, cRows + l * n, dt[l], dt[l] * u[l], n, decays + i * n);
            }

            for (long l = end - 1; l >= start; l--)
            {
                long i = l - start;
                float* before = states + i * n, after = states + (i + 1) * n, decay = decays + i * n;
                float* bl = bRows + l * n, cl = cRows + l * n, dBl = dBAcc + l * n, dCl = dCAcc + l * n;
                var dyV = TV.Create(dy[l]);
                var dtV = TV.Create(dt[l]);
                var dtuV = TV.Create(dt[l] * u[l]);
                var sumGB = TV.Zero;
                var sumGHA = TV.Zero;
                for (long k = 0; k < n; k += TV.Count)
                {
                    var da = TV.Load(decay + k);
                    var gv = TV.MultiplyAdd(dyV, TV.Load(cl + k), TV.Load(adjoint + k));
                    TV.MultiplyAdd(dyV, TV.Load(after + k), TV.Load(dCl + k)).Store(dCl + k);
                    TV.MultiplyAdd(gv, dtuV, TV.Load(dBl + k)).Store(dBl + k);
                    sumGB = TV.MultiplyAdd(gv, TV.Load(bl + k), sumGB);
                    var t = gv * TV.Load(before + k) * da;            // g ⊙ h_{l−1} ⊙ exp(δA)
                    TV.MultiplyAdd(t, dtV, TV.Load(dA + k)).Store(dA + k);
                    sumGHA = TV.MultiplyAdd(t, TV.Load(a + k), sumGHA);
                    (da * gv).Store(adjoint + k);
                }
                float gb = TV.Sum(sumGB);
                du[l] = dSkip * dy[l] + dt[l] * gb;
                dDelta[l] = TV.Sum(sumGHA) + u[l] * gb;
            }
        }

        RowMath.Copy(adjoint, grads.DInitialState + bd * n, n);
        RowMath.Copy(dA, grads.DAPartial + bd * n, n);
        if (p.Softplus) RowMath.MultiplyInPlace<TV>(dDelta, slope, length);
        grads.DBiasPartial[bd] = RowMath.Sum<TV>(dDelta, length);
    }
}
