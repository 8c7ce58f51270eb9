using System.Runtime.CompilerServices;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Raw memory of one fused Mamba-1 scan. Sizes: u, delta, z, output (Batch, Channels, Length), which the forward pass
/// reads and writes through their <see cref="RowStrides"/> and the backward pass reads channel-major (strides
/// (Channels·Length, Length, 1)); A (Channels, N); B, C time-major (Batch, Groups, Length, N); carries
/// (Batch, Channels, Chunks, N): the state entering each chunk; gated (the output before its gate), when kept for the
/// backward pass, channel-major. N is padded to a multiple of <see cref="RowMath.StatePadding"/> with A = B = C = 0
/// lanes, which stay zero and add nothing.
/// </summary>
internal unsafe struct SelectiveScanBuffers
{
    public long Batch, Channels, Length, StateSize, Groups;
    public bool Softplus;
    public float* U, Delta, A, B, C, D, Z, Bias, InitialState;
    /// <summary>Carries are null when nothing will back-propagate: an inference forward stores no states.</summary>
    public float* Output, Gated, Carries, FinalState;
    public RowStrides UStrides, DeltaStrides, ZStrides, OutputStrides;

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
/// The fused CPU selective scan. Its forward runs channels in the SIMD lanes by default (<see cref="Forward"/>,
/// <see cref="ForwardLanes{TV}"/>); what follows describes the states-in-lanes kernel, which the backward pass uses
/// and the forward where channels cannot go in lanes: channel-major, threads over (batch, channel). A channel's N states are independent
/// of each other, so they run through time in slabs of <see cref="RowMath.StatePadding"/> (16) with a slab's state,
/// adjoint and A in registers — one to four vectors, by <c>TV.Count</c> — and one lane sum per slab and step: a step
/// then waits on one multiply-add instead of a store-to-load round trip through memory (which halved the speed).
/// No (B, D, L, N) tensor exists: the forward stores the state every <see cref="CarryInterval"/> steps, and the
/// backward recomputes each chunk's states from its carry before running the adjoint recurrence backwards through it.
/// </summary>
internal static unsafe class SelectiveScanCpu
{
    /// <summary>Steps between stored states; the backward recomputes at most this many at a time.</summary>
    public const int CarryInterval = 64;

    /// <summary>Channels a forward task runs together, sweeping time in tiles so B and C stay in cache.</summary>
    private const int ChannelBlock = 16;

    /// <summary>
    /// Time steps per tile: every channel of a block runs a tile before the next one starts, so a tile of B and C
    /// (256·N floats each) is shared from cache by all of them instead of each channel streaming all L·N floats; the
    /// block's δ, u, z and y rows of a tile (17 KiB each) stay in cache too. Measured as no slower at L = 2048
    /// (docs/benchmarks.md); its effect at long L is not separated from the allocator slowdown recorded there.
    /// </summary>
    private const int TimeTile = 256;

    /// <summary>
    /// Floats between a tile's rows: one cache line more than a tile, since rows 1 KiB apart (and the four row sets
    /// 16 KiB apart) all fall in the same few L1 sets and evict each other while a tile is gathered column by column.
    /// </summary>
    private const int RowStride = TimeTile + 16;

    /// <summary>
    /// Floats of one of a forward block's four row sets (δ, u, z, y) for <paramref name="count"/> channels, with a
    /// cache line more so the sets are staggered too.
    /// </summary>
    private static long RowSet(long count) => count * RowStride + 16;

    /// <summary>The forward pass in vectors of <paramref name="width"/>, states (slab kernel) or channels in the lanes.</summary>
    /// <remarks>
    /// Channels go in the lanes unless <paramref name="lanes"/> asks for states or a block of channels would straddle two
    /// groups of B and C (broadcast per step): measured faster at every state size of the benchmark shapes (1.4× at
    /// N = 16, 2× at N = 64; docs/benchmarks.md).
    /// </remarks>
    public static void Forward(SelectiveScanBuffers p, SimdWidth width, FusedScanLanes lanes)
    {
        if (lanes != FusedScanLanes.States && !ChannelBlocksStraddleGroups(p, width))
            SimdWidths.Pick<Action<SelectiveScanBuffers>>(width, ForwardLanes<FloatVector512>, ForwardLanes<FloatVector256>, ForwardLanes<FloatVector128>)(p);
        else
            SimdWidths.Pick<Action<SelectiveScanBuffers>>(width, Forward<FloatVector512>, Forward<FloatVector256>, Forward<FloatVector128>)(p);
    }

    /// <summary>Whether a block of consecutive channels (one vector's worth) could hold channels of two groups.</summary>
    private static bool ChannelBlocksStraddleGroups(in SelectiveScanBuffers p, SimdWidth width) =>
        p.Groups > 1 && p.Channels / p.Groups % ((int)width / 32) != 0;

    /// <summary>The backward pass in vectors of <paramref name="width"/>.</summary>
    public static void Backward(SelectiveScanBuffers p, SelectiveScanGradients grads, SimdWidth width) =>
        SimdWidths.Pick<Action<SelectiveScanBuffers, SelectiveScanGradients>>(width, Backward<FloatVector512>, Backward<FloatVector256>, Backward<FloatVector128>)(p, grads);

    private const int Slab = RowMath.StatePadding;

    private static void Forward<TV>(SelectiveScanBuffers p) where TV : unmanaged, IFloatVector<TV>
    {
        long blocksPerBatch = (p.Channels + ChannelBlock - 1) / ChannelBlock;
        Parallel.For(0, p.Batch * blocksPerBatch,
            () => new Scratch(4 * RowSet(ChannelBlock) + ChannelBlock * p.StateSize),
            (item, _, scratch) =>
            {
                long b = item / blocksPerBatch, first = item % blocksPerBatch * ChannelBlock;
                ForwardBlock<TV>(p, b, first, Math.Min(first + ChannelBlock, p.Channels), scratch.Data);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    /// <summary>
    /// Channels [first, last) of batch b, tile by tile: a tile's δ, u and z are gathered into dense rows (from either
    /// layout, so a time-major projection is read in place of a transposed copy), every channel runs the tile, then the
    /// gated outputs are written back through the output's strides.
    /// </summary>
    private static void ForwardBlock<TV>(in SelectiveScanBuffers p, long b, long first, long last, float* scratch) where TV : unmanaged, IFloatVector<TV>
    {
        long n = p.StateSize, length = p.Length, count = last - first;
        long rows = RowSet(count);
        float* dts = scratch, us = dts + rows, zs = us + rows, ys = zs + rows, states = ys + rows;

        for (long d = first; d < last; d++)
        {
            long bd = b * p.Channels + d, i = d - first;
            if (p.InitialState != null) RowMath.Copy(p.InitialState + bd * n, states + i * n, n);
            else new Span<float>(states + i * n, (int)n).Clear();
        }

        for (long tile = 0; tile < length; tile += TimeTile)
        {
            long steps = Math.Min(TimeTile, length - tile);
            Tiles.Gather(p.Delta, p.DeltaStrides, b, first, count, tile, steps, dts, RowStride);
            Tiles.Gather(p.U, p.UStrides, b, first, count, tile, steps, us, RowStride);
            if (p.Z != null) Tiles.Gather(p.Z, p.ZStrides, b, first, count, tile, steps, zs, RowStride);
            for (long d = first; d < last; d++)
            {
                long bd = b * p.Channels + d, i = d - first, g = d / (p.Channels / p.Groups);
                float* dt = dts + i * RowStride, u = us + i * RowStride, y = ys + i * RowStride;
                float* bRows = p.B + (b * p.Groups + g) * length * n, cRows = p.C + (b * p.Groups + g) * length * n;
                float* carries = p.Carries == null ? null : p.Carries + bd * p.Chunks * n;
                RowMath.StepSizes<TV>(dt, p.Bias == null ? 0f : p.Bias[d], p.Softplus, dt, null, steps);
                for (long k = 0; k < n; k += Slab)
                    Sweep<TV>(states + i * n + k, p.A + d * n + k, bRows + k, cRows + k, carries == null ? null : carries + k, n, dt, u, y, tile, steps, add: k > 0);
                RowMath.SkipAndGate<TV>(y, u, p.D == null ? 0f : p.D[d], p.Z == null ? null : zs + i * RowStride,
                    p.Gated == null ? null : p.Gated + bd * length + tile, steps);
            }
            Tiles.Scatter(ys, RowStride, p.Output, p.OutputStrides, b, first, count, tile, steps);
        }

        for (long d = first; d < last; d++)
            RowMath.Copy(states + (d - first) * n, p.FinalState + (b * p.Channels + d) * n, n);
    }

    /// <summary>
    /// Steps [<paramref name="start"/>, <paramref name="start"/> + <paramref name="steps"/>) of one slab of a channel's
    /// states, read from and written back to <paramref name="h"/>: h' = exp(δA) ⊙ h + (δu)·B, with the slab's share of
    /// y = C·h' written to y (or added, for the channel's later slabs). δ, u and y are the tile's rows (index 0 is step
    /// <paramref name="start"/>); B and C rows, and carries, are <paramref name="stride"/> floats apart and indexed by step.
    /// </summary>
    private static void Sweep<TV>(float* h, float* a, float* bRows, float* cRows, float* carries, long stride, float* dt, float* u, float* y, long start, long steps, bool add)
        where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;                             // a JIT-time constant: the vectors a width does not need compile away
        bool two = lanes <= Slab / 2, four = lanes <= Slab / 4;
        TV a0 = TV.Load(a), a1 = two ? TV.Load(a + lanes) : default, a2 = four ? TV.Load(a + 2 * lanes) : default, a3 = four ? TV.Load(a + 3 * lanes) : default;
        TV h0 = TV.Load(h), h1 = two ? TV.Load(h + lanes) : default, h2 = four ? TV.Load(h + 2 * lanes) : default, h3 = four ? TV.Load(h + 3 * lanes) : default;
        for (long i = 0; i < steps; i++)
        {
            long l = start + i;
            if (carries != null && l % CarryInterval == 0) Store(carries + l / CarryInterval * stride, h0, h1, h2, h3);
            var dtV = TV.Create(dt[i]);
            var drive = TV.Create(dt[i] * u[i]);
            float* bl = bRows + l * stride, cl = cRows + l * stride;
            h0 = Advance(h0, a0, dtV, drive, bl, null);
            var acc = h0 * TV.Load(cl);
            if (two)
            {
                h1 = Advance(h1, a1, dtV, drive, bl + lanes, null);
                acc = TV.MultiplyAdd(h1, TV.Load(cl + lanes), acc);
            }
            if (four)
            {
                h2 = Advance(h2, a2, dtV, drive, bl + 2 * lanes, null);
                acc = TV.MultiplyAdd(h2, TV.Load(cl + 2 * lanes), acc);
                h3 = Advance(h3, a3, dtV, drive, bl + 3 * lanes, null);
                acc = TV.MultiplyAdd(h3, TV.Load(cl + 3 * lanes), acc);
            }
            float share = TV.Sum(acc);
            y[i] = add ? y[i] + share : share;
        }
        Store(h, h0, h1, h2, h3);
    }

    /// <summary>One vector of one step: exp(δA) ⊙ h + (δu)·B, the decay also stored to <paramref name="decay"/> when given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Advance<TV>(TV h, TV a, TV dt, TV drive, float* b, float* decay) where TV : unmanaged, IFloatVector<TV>
    {
        var da = RowMath.Exp(dt * a);
        if (decay != null) da.Store(decay);
        return TV.MultiplyAdd(da, h, drive * TV.Load(b));
    }

    /// <summary>Stores a slab held as 1, 2 or 4 vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(float* to, TV v0, TV v1, TV v2, TV v3) where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;
        v0.Store(to);
        if (lanes <= Slab / 2) v1.Store(to + lanes);
        if (lanes <= Slab / 4)
        {
            v2.Store(to + 2 * lanes);
            v3.Store(to + 3 * lanes);
        }
    }

    /// <summary>
    /// The forward pass with channels in the SIMD lanes (as <c>scan_anchor</c> lays it out): a task owns TV.Count
    /// consecutive channels of one batch row; per step δ, u and z are one vector each, A is one vector per state, and
    /// B and C are broadcast scalars shared by the block's channels, so y = Σₙ hₙ·Cₙ is a vector sum across
    /// registers and a step needs no horizontal sum. The states live in a small scratch array: with N independent
    /// recurrences per step, the store-to-load latency of one is hidden behind the other's exponentials.
    /// </summary>
    private static void ForwardLanes<TV>(SelectiveScanBuffers p) where TV : unmanaged, IFloatVector<TV>
    {
        int w = TV.Count;
        long blocksPerBatch = (p.Channels + w - 1) / w, n = p.StateSize;
        Parallel.For(0, p.Batch * blocksPerBatch,
            () => new Scratch(2 * n * w + 4L * TimeTile * w + 2 * w),
            (item, _, scratch) =>
            {
                long b = item / blocksPerBatch, first = item % blocksPerBatch * w;
                LaneBlock<TV>(p, b, first, Math.Min(w, p.Channels - first), scratch.Data);
                return scratch;
            },
            scratch => scratch.Dispose());
    }

    /// <summary>Channels [first, first + count) of batch b (count ≤ TV.Count; missing lanes are zero and discarded).</summary>
    private static void LaneBlock<TV>(in SelectiveScanBuffers p, long b, long first, long count, float* scratch) where TV : unmanaged, IFloatVector<TV>
    {
        int w = TV.Count;
        long n = p.StateSize, length = p.Length, g = first / (p.Channels / p.Groups);
        float* aT = scratch, h = aT + n * w, dts = h + n * w, us = dts + TimeTile * w, zs = us + TimeTile * w, ys = zs + TimeTile * w;
        float* biasLanes = ys + TimeTile * w, skipLanes = biasLanes + w;
        new Span<float>(scratch, (int)(2 * n * w)).Clear();
        new Span<float>(biasLanes, 2 * w).Clear();
        for (long i = 0; i < count; i++)
        {
            long bd = b * p.Channels + first + i;
            for (long k = 0; k < n; k++)
            {
                aT[k * w + i] = p.A[(first + i) * n + k];
                if (p.InitialState != null) h[k * w + i] = p.InitialState[bd * n + k];
            }
            if (p.Bias != null) biasLanes[i] = p.Bias[first + i];
            if (p.D != null) skipLanes[i] = p.D[first + i];
        }
        TV bias = TV.Load(biasLanes), skip = TV.Load(skipLanes);
        float* bRows = p.B + (b * p.Groups + g) * length * n, cRows = p.C + (b * p.Groups + g) * length * n;

        for (long tile = 0; tile < length; tile += TimeTile)
        {
            long steps = Math.Min(TimeTile, length - tile);
            Tiles.GatherLanes<TV>(p.Delta, p.DeltaStrides, b, first, count, tile, steps, dts);
            Tiles.GatherLanes<TV>(p.U, p.UStrides, b, first, count, tile, steps, us);
            if (p.Z != null) Tiles.GatherLanes<TV>(p.Z, p.ZStrides, b, first, count, tile, steps, zs);
            // The step sizes and the gate in passes of their own: their long dependency chains (exp, log, division)
            // then overlap across steps instead of stalling the recurrence's exponentials inside each step.
            for (long i = 0; i < steps; i++)
            {
                var raw = TV.Load(dts + i * w) + bias;
                (p.Softplus ? RowMath.Softplus(raw) : raw).Store(dts + i * w);
            }
            for (long i = 0; i < steps; i++)
            {
                long l = tile + i;
                if (p.Carries != null && l % CarryInterval == 0) StoreLanes(h, n, w, count, p.Carries + (b * p.Channels + first) * p.Chunks * n + l / CarryInterval * n, p.Chunks * n);
                var dt = TV.Load(dts + i * w);
                var u = TV.Load(us + i * w);
                var drive = dt * u;
                float* bl = bRows + l * n, cl = cRows + l * n;
                // Two partial sums halve the chain of dependent multiply-adds that y would otherwise wait on.
                TV even = TV.Zero, odd = TV.Zero;
                for (long k = 0; k < n; k += 2)
                {
                    var h0 = TV.MultiplyAdd(RowMath.Exp(dt * TV.Load(aT + k * w)), TV.Load(h + k * w), drive * TV.Create(bl[k]));
                    var h1 = TV.MultiplyAdd(RowMath.Exp(dt * TV.Load(aT + (k + 1) * w)), TV.Load(h + (k + 1) * w), drive * TV.Create(bl[k + 1]));
                    h0.Store(h + k * w);
                    h1.Store(h + (k + 1) * w);
                    even = TV.MultiplyAdd(h0, TV.Create(cl[k]), even);
                    odd = TV.MultiplyAdd(h1, TV.Create(cl[k + 1]), odd);
                }
                TV.MultiplyAdd(skip, u, even + odd).Store(ys + i * w);
            }
            if (p.Z != null)
            {
                for (long i = 0; i < steps; i++)
                {
                    var y = TV.Load(ys + i * w);
                    if (p.Gated != null) ScatterLane(y, p.Gated + (b * p.Channels + first) * length + tile + i, length, count);
                    var z = TV.Load(zs + i * w);
                    (y * (z * RowMath.Sigmoid(z))).Store(ys + i * w);
                }
            }
            Tiles.ScatterLanes<TV>(ys, p.Output, p.OutputStrides, b, first, count, tile, steps);
        }
        StoreLanes(h, n, w, count, p.FinalState + (b * p.Channels + first) * n, n);
    }

    /// <summary>Writes lane-major states (N × lanes) to channel-major rows <paramref name="stride"/> floats apart.</summary>
    private static void StoreLanes(float* h, long n, int w, long count, float* to, long stride)
    {
        for (long i = 0; i < count; i++)
            for (long k = 0; k < n; k++) to[i * stride + k] = h[k * w + i];
    }

    /// <summary>Writes the first <paramref name="count"/> lanes of <paramref name="v"/> to floats <paramref name="stride"/> apart.</summary>
    private static void ScatterLane<TV>(TV v, float* to, long stride, long count) where TV : unmanaged, IFloatVector<TV>
    {
        float* lanes = stackalloc float[TV.Count];
        v.Store(lanes);
        for (long i = 0; i < count; i++) to[i * stride] = lanes[i];
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

            const long q = CarryInterval;
            using var scratch = new Scratch(5 * length + (2 * q + 1) * Slab);
            var rows = new BackwardRows
            {
                Dt = scratch.Data, Slope = scratch.Data + length, Dy = scratch.Data + 2 * length,
                SumGB = scratch.Data + 3 * length, SumGHA = scratch.Data + 4 * length,
                States = scratch.Data + 5 * length, Decays = scratch.Data + 5 * length + (q + 1) * Slab,
                DBAcc = accumulators.Data + task * perTask, DCAcc = accumulators.Data + task * perTask + length * n,
            };
            for (long d = first; d < last; d++)
                BackwardChannel<TV>(p, grads, b * p.Channels + d, rows);
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

    /// <summary>A backward task's scratch rows: per-step values of the channel at hand, one slab's states and decays through a chunk, and the task's dB/dC accumulators.</summary>
    private struct BackwardRows
    {
        /// <summary>(Length) each: step sizes, softplus slopes, the ungated output gradient, Σ g·B and Σ g ⊙ h ⊙ exp(δA) ⊙ A over the states.</summary>
        public float* Dt, Slope, Dy, SumGB, SumGHA;

        /// <summary>(chunk + 1, 16) states and (chunk, 16) decays of the slab being run backwards.</summary>
        public float* States, Decays;

        /// <summary>(Length, N) each, time-major like B and C.</summary>
        public float* DBAcc, DCAcc;
    }

    private static void BackwardChannel<TV>(in SelectiveScanBuffers p, in SelectiveScanGradients grads, long bd, in BackwardRows rows) where TV : unmanaged, IFloatVector<TV>
    {
        long n = p.StateSize, length = p.Length;
        long d = bd % p.Channels;
        float* u = p.U + bd * length, du = grads.DU + bd * length, dDelta = grads.DDelta + bd * length;
        float dSkip = p.D == null ? 0f : p.D[d];

        RowMath.StepSizes<TV>(p.Delta + bd * length, p.Bias == null ? 0f : p.Bias[d], p.Softplus, rows.Dt, p.Softplus ? rows.Slope : null, length);
        RowMath.UngateGradient<TV>(grads.DOutput + bd * length, p.Z == null ? null : p.Z + bd * length,
            p.Gated == null ? null : p.Gated + bd * length, rows.Dy, grads.DZ == null ? null : grads.DZ + bd * length, length);
        grads.DDPartial[bd] = RowMath.Dot<TV>(rows.Dy, u, length);

        for (long k = 0; k < n; k += Slab)
            BackwardSlab<TV>(p, grads, bd, k, rows, add: k > 0);

        // du = D·dy + δ·Σ g·B and dδ = Σ g ⊙ h ⊙ exp(δA) ⊙ A + u·Σ g·B, before the softplus slope.
        for (long l = 0; l < length; l++)
        {
            du[l] = dSkip * rows.Dy[l] + rows.Dt[l] * rows.SumGB[l];
            dDelta[l] = rows.SumGHA[l] + u[l] * rows.SumGB[l];
        }
        if (p.Softplus) RowMath.MultiplyInPlace<TV>(dDelta, rows.Slope, length);
        grads.DBiasPartial[bd] = RowMath.Sum<TV>(dDelta, length);
    }

    /// <summary>
    /// The adjoint recurrence for the slab of states at offset <paramref name="k"/> of one channel, backwards through
    /// time chunk by chunk: each chunk's states are recomputed from its carry (with the forward's arithmetic, so they
    /// are its states exactly), then g_l = dy_l·C_l + exp(δ_{l+1}A) ⊙ g_{l+1} runs backwards from ∂loss/∂h_L with g and
    /// dA in registers, accumulating dB and dC and the slab's shares of Σ g·B and Σ g ⊙ h ⊙ exp(δA) ⊙ A per step.
    /// </summary>
    private static void BackwardSlab<TV>(in SelectiveScanBuffers p, in SelectiveScanGradients grads, long bd, long k, in BackwardRows rows, bool add)
        where TV : unmanaged, IFloatVector<TV>
    {
        int lanes = TV.Count;
        bool two = lanes <= Slab / 2, four = lanes <= Slab / 4;
        long n = p.StateSize, length = p.Length;
        long b = bd / p.Channels, d = bd % p.Channels, g = d / (p.Channels / p.Groups);
        float* u = p.U + bd * length, dt = rows.Dt, dy = rows.Dy, states = rows.States, decays = rows.Decays;
        float* bRows = p.B + (b * p.Groups + g) * length * n + k, cRows = p.C + (b * p.Groups + g) * length * n + k;
        float* carries = p.Carries + bd * p.Chunks * n + k, a = p.A + d * n + k, final = grads.DFinalState + bd * n + k;
        TV a0 = TV.Load(a), a1 = two ? TV.Load(a + lanes) : default, a2 = four ? TV.Load(a + 2 * lanes) : default, a3 = four ? TV.Load(a + 3 * lanes) : default;
        TV g0 = TV.Load(final), g1 = two ? TV.Load(final + lanes) : default, g2 = four ? TV.Load(final + 2 * lanes) : default, g3 = four ? TV.Load(final + 3 * lanes) : default;
        TV dA0 = TV.Zero, dA1 = TV.Zero, dA2 = TV.Zero, dA3 = TV.Zero;

        for (long chunk = p.Chunks - 1; chunk >= 0; chunk--)
        {
            long start = chunk * CarryInterval, end = Math.Min(start + CarryInterval, length);
            float* carry = carries + chunk * n;
            TV h0 = TV.Load(carry), h1 = two ? TV.Load(carry + lanes) : default, h2 = four ? TV.Load(carry + 2 * lanes) : default, h3 = four ? TV.Load(carry + 3 * lanes) : default;
            Store(states, h0, h1, h2, h3);
            for (long l = start; l < end; l++)
            {
                long i = l - start;
                var dtV = TV.Create(dt[l]);
                var drive = TV.Create(dt[l] * u[l]);
                float* bl = bRows + l * n, decay = decays + i * Slab;
                h0 = Advance(h0, a0, dtV, drive, bl, decay);
                if (two) h1 = Advance(h1, a1, dtV, drive, bl + lanes, decay + lanes);
                if (four)
                {
                    h2 = Advance(h2, a2, dtV, drive, bl + 2 * lanes, decay + 2 * lanes);
                    h3 = Advance(h3, a3, dtV, drive, bl + 3 * lanes, decay + 3 * lanes);
                }
                Store(states + (i + 1) * Slab, h0, h1, h2, h3);
            }

            for (long l = end - 1; l >= start; l--)
            {
                long i = l - start;
                var step = new AdjointStep<TV>(TV.Create(dy[l]), TV.Create(dt[l]), TV.Create(dt[l] * u[l]));
                var at = new AdjointRows(bRows + l * n, cRows + l * n, rows.DBAcc + l * n + k, rows.DCAcc + l * n + k, states + i * Slab, decays + i * Slab);
                TV gb = TV.Zero, gha = TV.Zero;
                g0 = step.Apply(g0, a0, ref dA0, ref gb, ref gha, at, 0);
                if (two) g1 = step.Apply(g1, a1, ref dA1, ref gb, ref gha, at, lanes);
                if (four)
                {
                    g2 = step.Apply(g2, a2, ref dA2, ref gb, ref gha, at, 2 * lanes);
                    g3 = step.Apply(g3, a3, ref dA3, ref gb, ref gha, at, 3 * lanes);
                }
                float sumGB = TV.Sum(gb), sumGHA = TV.Sum(gha);
                rows.SumGB[l] = add ? rows.SumGB[l] + sumGB : sumGB;
                rows.SumGHA[l] = add ? rows.SumGHA[l] + sumGHA : sumGHA;
            }
        }

        float* dInitial = grads.DInitialState + bd * n + k, dAOut = grads.DAPartial + bd * n + k;
        Store(dInitial, g0, g1, g2, g3);
        Store(dAOut, dA0, dA1, dA2, dA3);
    }

    /// <summary>Where one backward step reads and accumulates, for a slab: B, C, dB, dC rows at the step, and its states before it (after it is 16 floats on) and decays.</summary>
    private readonly struct AdjointRows(float* b, float* c, float* dB, float* dC, float* before, float* decay)
    {
        public readonly float* B = b, C = c, DB = dB, DC = dC, Before = before, Decay = decay;
    }

    /// <summary>The scalars of one backward step, broadcast: dy, δ and δ·u.</summary>
    private readonly struct AdjointStep<TV>(TV dy, TV dt, TV dtu) where TV : unmanaged, IFloatVector<TV>
    {
        /// <summary>
        /// One vector of the adjoint at offset <paramref name="o"/> of the slab: returns exp(δA) ⊙ (g + dy·C), adds
        /// dy·h to dC, (g + dy·C)·δu to dB, and its shares to Σ g·B, Σ g ⊙ h ⊙ exp(δA) ⊙ A and dA.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Apply(TV adjoint, TV a, ref TV dA, ref TV gb, ref TV gha, in AdjointRows at, int o)
        {
            var decay = TV.Load(at.Decay + o);
            var gv = TV.MultiplyAdd(dy, TV.Load(at.C + o), adjoint);
            TV.MultiplyAdd(dy, TV.Load(at.Before + Slab + o), TV.Load(at.DC + o)).Store(at.DC + o);
            TV.MultiplyAdd(gv, dtu, TV.Load(at.DB + o)).Store(at.DB + o);
            gb = TV.MultiplyAdd(gv, TV.Load(at.B + o), gb);
            var t = gv * TV.Load(at.Before + o) * decay;                   // g ⊙ h_{l−1} ⊙ exp(δA)
            dA = TV.MultiplyAdd(t, dt, dA);
            gha = TV.MultiplyAdd(t, a, gha);
            return decay * gv;
        }
    }
}
