namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Raw memory of one causal depthwise convolution. x is (Batch, Channels, Length) with consecutive channels, read
/// through its batch and time strides; weights transposed to (Kernel, Channels); output, output gradient and input
/// gradient time-major (Batch, Length, Channels), contiguous.
/// </summary>
internal unsafe struct CausalConvBuffers
{
    public long Batch, Channels, Length, Kernel, XBatchStride, XTimeStride;
    public bool Silu;
    public float* X, Weight, Bias, Output;

    public readonly long Tasks => Batch * ((Length + CausalConvCpu.TimeBlock - 1) / CausalConvCpu.TimeBlock);
}

/// <summary>Raw memory of the gradients of one causal convolution; per-task weight and bias partials are summed by the caller.</summary>
internal unsafe struct CausalConvGradients
{
    public float* DOutput, DX;

    /// <summary>(Tasks, Kernel, Channels) and (Tasks, Channels).</summary>
    public float* DWeightPartial, DBiasPartial;
}

/// <summary>
/// mamba_ssm's causal_conv1d on the CPU: y[b, l, c] = act(bias[c] + Σₖ w[k, c]·x[b, l − (K − 1) + k, c]), with x = 0
/// before the start and act silu or the identity. Time-major, so one vector holds consecutive channels of a step and a
/// tap is one load: it reads the x half of in_proj's output where it lies and writes what x_proj reads, where
/// libtorch's depthwise conv1d wants (B, C, L) copies and is several times slower. Threads over (batch, block of steps).
/// </summary>
internal static unsafe class CausalConvCpu
{
    /// <summary>Steps per task.</summary>
    public const int TimeBlock = 256;

    /// <summary>The forward pass in vectors of <paramref name="width"/>.</summary>
    public static void Forward(CausalConvBuffers p, SimdWidth width) =>
        SimdWidths.Pick<Action<CausalConvBuffers>>(width, Forward<FloatVector512>, Forward<FloatVector256>, Forward<FloatVector128>)(p);

    /// <summary>The backward pass in vectors of <paramref name="width"/>.</summary>
    public static void Backward(CausalConvBuffers p, CausalConvGradients grads, SimdWidth width) =>
        SimdWidths.Pick<Action<CausalConvBuffers, CausalConvGradients>>(width, Backward<FloatVector512>, Backward<FloatVector256>, Backward<FloatVector128>)(p, grads);

    private static void Forward<TV>(CausalConvBuffers p) where TV : unmanaged, IFloatVector<TV>
    {
        long blocks = (p.Length + TimeBlock - 1) / TimeBlock;
        Parallel.For(0, p.Tasks, task =>
        {
            long b = task / blocks, start = task % blocks * TimeBlock, end = Math.Min(start + TimeBlock, p.Length);
            for (long l = start; l < end; l++)
                Convolve<TV>(p, b, l, p.Output + (b * p.Length + l) * p.Channels, p.Silu);
        });
    }

    /// <summary>Step l of batch b, all channels, into <paramref name="y"/>: activated, or the pre-activation when <paramref name="silu"/> is false.</summary>
    private static void Convolve<TV>(in CausalConvBuffers p, long b, long l, float* y, bool silu) where TV : unmanaged, IFloatVector<TV>
    {
        long channels = p.Channels, kernel = p.Kernel, c = 0;
        long firstTap = Math.Max(0, kernel - 1 - l);                          // earlier taps fall before the start
        float* x = p.X + b * p.XBatchStride + (l - kernel + 1) * p.XTimeStride;
        for (; c + TV.Count <= channels; c += TV.Count)
        {
            var acc = p.Bias == null ? TV.Zero : TV.Load(p.Bias + c);
            for (long k = firstTap; k < kernel; k++)
                acc = TV.MultiplyAdd(TV.Load(p.Weight + k * channels + c), TV.Load(x + k * p.XTimeStride + c), acc);
            (silu ? acc * RowMath.Sigmoid(acc) : acc).Store(y + c);
        }
        for (; c < channels; c++)
        {
            float acc = p.Bias == null ? 0f : p.Bias[c];
            for (long k = firstTap; k < kernel; k++) acc += p.Weight[k * channels + c] * x[k * p.XTimeStride + c];
            y[c] = silu ? acc * RowMath.Sigmoid(acc) : acc;
        }
    }

    /// <summary>
    /// Per task: g = dy ⊙ act′(pre) over its steps and the K − 1 after them (pre recomputed), then
    /// dx[l] = Σₖ w[k] ⊙ g[l + K − 1 − k], and the task's partials dw[k] = Σₗ g[l] ⊙ x[l − (K − 1) + k] and db = Σₗ g[l].
    /// </summary>
    private static void Backward<TV>(CausalConvBuffers p, CausalConvGradients grads) where TV : unmanaged, IFloatVector<TV>
    {
        long blocks = (p.Length + TimeBlock - 1) / TimeBlock, channels = p.Channels, kernel = p.Kernel;
        Parallel.For(0, p.Tasks, task =>
        {
            long b = task / blocks, start = task % blocks * TimeBlock, end = Math.Min(start + TimeBlock, p.Length);
            long reach = Math.Min(end + kernel - 1, p.Length);                 // g is needed up to here
            using var scratch = new Scratch((end - start + kernel - 1) * channels);
            float* g = scratch.Data - start * channels;                        // indexed by absolute step
            for (long l = start; l < reach; l++)
                ActivationGradient<TV>(p, b, l, grads.DOutput + (b * p.Length + l) * channels, g + l * channels);

            float* dw = grads.DWeightPartial + task * kernel * channels, db = grads.DBiasPartial + task * channels;
            new Span<float>(dw, (int)(kernel * channels)).Clear();
            new Span<float>(db, (int)channels).Clear();
            float* x = p.X + b * p.XBatchStride;
            for (long l = start; l < end; l++)
            {
                float* dx = grads.DX + (b * p.Length + l) * channels, gl = g + l * channels;
                long outputTap = Math.Max(0, l + kernel - p.Length);           // dx: taps whose output step exists
                long inputTap = Math.Max(0, kernel - 1 - l);                   // dw: taps whose input step exists
                long c = 0;
                for (; c + TV.Count <= channels; c += TV.Count)
                {
                    var acc = TV.Zero;
                    for (long k = outputTap; k < kernel; k++)
                        acc = TV.MultiplyAdd(TV.Load(p.Weight + k * channels + c), TV.Load(g + (l + kernel - 1 - k) * channels + c), acc);
                    acc.Store(dx + c);
                    var gv = TV.Load(gl + c);
                    for (long k = inputTap; k < kernel; k++)
                    {
                        float* wk = dw + k * channels + c;
                        TV.MultiplyAdd(gv, TV.Load(x + (l - kernel + 1 + k) * p.XTimeStride + c), TV.Load(wk)).Store(wk);
                    }
                    (TV.Load(db + c) + gv).Store(db + c);
                }
                for (; c < channels; c++)
                {
                    float acc = 0f;
                    for (long k = outputTap; k < kernel; k++) acc += p.Weight[k * channels + c] * g[(l + kernel - 1 - k) * channels + c];
                    dx[c] = acc;
                    for (long k = inputTap; k < kernel; k++) dw[k * channels + c] += gl[c] * x[(l - kernel + 1 + k) * p.XTimeStride + c];
                    db[c] += gl[c];
                }
            }
        });
    }

    /// <summary>g = dy ⊙ silu′(pre) at step l, with silu′(v) = σ(v)(1 + v(1 − σ(v))); g = dy without the activation.</summary>
    private static void ActivationGradient<TV>(in CausalConvBuffers p, long b, long l, float* dy, float* g) where TV : unmanaged, IFloatVector<TV>
    {
        if (!p.Silu)
        {
            RowMath.Copy(dy, g, p.Channels);
            return;
        }
        Convolve<TV>(p, b, l, g, silu: false);
        long c = 0;
        for (; c + TV.Count <= p.Channels; c += TV.Count)
        {
            var v = TV.Load(g + c);
            var s = RowMath.Sigmoid(v);
            (TV.Load(dy + c) * s * (TV.One + v * (TV.One - s))).Store(g + c);
        }
        for (; c < p.Channels; c++)
        {
            float v = g[c], s = RowMath.Sigmoid(v);
            g[c] = dy[c] * s * (1f + v * (1f - s));
        }
    }
}
