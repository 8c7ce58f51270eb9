using Mamba.Core.Scan;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

/// <summary>Random scan problems shaped like real Mamba layers (negative A, small positive step sizes).</summary>
internal static class ScanCases
{
    /// <summary>
    /// The kernels checked against the reference: the chunked kernel and the fused kernel at every SIMD width
    /// (emulated where the processor lacks it), its Mamba-1 forward with the lanes chosen by shape (channels, but
    /// states where a vector of channels would straddle groups) and with the states in the lanes forced (the slab kernel).
    /// </summary>
    public static readonly string[] CheckedKernels =
        ["chunked", "fused-cpu/128", "fused-cpu/256", "fused-cpu/512", "fused-cpu/128/states", "fused-cpu/256/states", "fused-cpu/512/states"];

    /// <summary>The kernels an SSD scan is checked on (the lane layout is the Mamba-1 forward's alone).</summary>
    public static IEnumerable<string> CheckedSsdKernels => CheckedKernels.Where(k => !k.EndsWith("/states", StringComparison.Ordinal));

    /// <summary>
    /// A core kernel by name; <c>fused-cpu/W</c> is the fused kernel pinned to W-bit vectors, <c>fused-cpu/W/states</c>
    /// or <c>/channels</c> with the Mamba-1 forward's lane layout forced too.
    /// </summary>
    public static IScanKernel Kernel(string name)
    {
        if (!name.StartsWith("fused-cpu/", StringComparison.Ordinal)) return ScanKernelRegistry.WithCoreKernels().Get(name);
        var parts = name.Split('/');
        var width = (Mamba.Core.Scan.Cpu.SimdWidth)int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        var lanes = parts.Length > 2 ? Enum.Parse<FusedScanLanes>(parts[2], ignoreCase: true) : FusedScanLanes.Auto;
        return new FusedCpuScan(width, lanes);
    }

    public sealed record SelectiveOptions(
        long Batch = 2, long Channels = 4, long StateSize = 16, long Length = 37, long Groups = 0,
        bool Skip = true, bool Gate = true, bool Bias = true, bool Softplus = true, bool Initial = true, ScalarType Type = ScalarType.Float32);

    public sealed record SsdOptions(
        long Batch = 2, long Length = 37, long Heads = 4, long HeadDim = 8, long Groups = 2, long StateSize = 16, int Chunk = 16,
        bool Skip = true, bool Bias = true, bool Softplus = true, bool Initial = true, ScalarType Type = ScalarType.Float32);

    /// <summary>Leaf tensors (requiring grad) for a selective scan; Groups = 0 means per-batch (B, N, L) B and C.</summary>
    public static SelectiveScanInputs Selective(SelectiveOptions o, long seed)
    {
        var g = new Generator((ulong)seed);
        var t = o.Type;
        Tensor Leaf(Tensor x) => x.to_type(t).detach().requires_grad_();
        long[] bcShape = o.Groups == 0 ? [o.Batch, o.StateSize, o.Length] : [o.Batch, o.Groups, o.StateSize, o.Length];
        return new SelectiveScanInputs
        {
            U = Leaf(randn([o.Batch, o.Channels, o.Length], generator: g)),
            // With softplus, raw values near −3 give step sizes around 0.05, as trained Mamba layers have.
            Delta = Leaf(o.Softplus ? randn([o.Batch, o.Channels, o.Length], generator: g) * 0.5 - 3 : rand([o.Batch, o.Channels, o.Length], generator: g) * 0.2),
            A = Leaf(-(rand([o.Channels, o.StateSize], generator: g) * 4 + 0.5)),
            B = Leaf(randn(bcShape, generator: g)),
            C = Leaf(randn(bcShape, generator: g)),
            D = o.Skip ? Leaf(randn([o.Channels], generator: g)) : null,
            Z = o.Gate ? Leaf(randn([o.Batch, o.Channels, o.Length], generator: g)) : null,
            DeltaBias = o.Bias ? Leaf(randn([o.Channels], generator: g) * 0.5) : null,
            DeltaSoftplus = o.Softplus,
            InitialState = o.Initial ? Leaf(randn([o.Batch, o.Channels, o.StateSize], generator: g)) : null,
            ReturnFinalState = true,
        };
    }

    public static SsdScanInputs Ssd(SsdOptions o, long seed)
    {
        var g = new Generator((ulong)seed);
        var t = o.Type;
        Tensor Leaf(Tensor x) => x.to_type(t).detach().requires_grad_();
        return new SsdScanInputs
        {
            X = Leaf(randn([o.Batch, o.Length, o.Heads, o.HeadDim], generator: g)),
            Dt = Leaf(o.Softplus ? randn([o.Batch, o.Length, o.Heads], generator: g) * 0.5 - 3 : rand([o.Batch, o.Length, o.Heads], generator: g) * 0.2),
            A = Leaf(-(rand([o.Heads], generator: g) * 8 + 1)),
            B = Leaf(randn([o.Batch, o.Length, o.Groups, o.StateSize], generator: g)),
            C = Leaf(randn([o.Batch, o.Length, o.Groups, o.StateSize], generator: g)),
            D = o.Skip ? Leaf(randn([o.Heads], generator: g)) : null,
            DtBias = o.Bias ? Leaf(randn([o.Heads], generator: g) * 0.5) : null,
            DtSoftplus = o.Softplus,
            ChunkSize = o.Chunk,
            InitialStates = o.Initial ? Leaf(randn([o.Batch, o.Heads, o.HeadDim, o.StateSize], generator: g)) : null,
            ReturnFinalStates = true,
        };
    }

    public static IEnumerable<(string Name, Tensor Tensor)> Leaves(SelectiveScanInputs i)
    {
        yield return ("u", i.U);
        yield return ("delta", i.Delta);
        yield return ("A", i.A);
        yield return ("B", i.B);
        yield return ("C", i.C);
        if (i.D is not null) yield return ("D", i.D);
        if (i.Z is not null) yield return ("z", i.Z);
        if (i.DeltaBias is not null) yield return ("delta_bias", i.DeltaBias);
        if (i.InitialState is not null) yield return ("initial_state", i.InitialState);
    }

    public static IEnumerable<(string Name, Tensor Tensor)> Leaves(SsdScanInputs i)
    {
        yield return ("x", i.X);
        yield return ("dt", i.Dt);
        yield return ("A", i.A);
        yield return ("B", i.B);
        yield return ("C", i.C);
        if (i.D is not null) yield return ("D", i.D);
        if (i.DtBias is not null) yield return ("dt_bias", i.DtBias);
        if (i.InitialStates is not null) yield return ("initial_states", i.InitialStates);
    }

    /// <summary>A scalar loss that weighs every output and final-state element differently, so every gradient is exercised.</summary>
    public static Tensor Loss(Tensor output, Tensor? final, long seed)
    {
        var g = new Generator((ulong)seed + 1000);
        var loss = (output * randn(output.shape, generator: g).to_type(output.dtype)).sum();
        return final is null ? loss : loss + (final * randn(final.shape, generator: g).to_type(final.dtype)).sum();
    }

    /// <summary>Runs <paramref name="run"/>, back-propagates <see cref="Loss"/> and returns the output, final state and every gradient by name.</summary>
    public static Dictionary<string, Tensor> ForwardAndGradients<TIn>(
        TIn inputs, Func<TIn, (Tensor Output, Tensor? Final)> run, Func<TIn, IEnumerable<(string, Tensor)>> leaves, long seed)
    {
        var (output, final) = run(inputs);
        Loss(output, final, seed).backward();
        var results = new Dictionary<string, Tensor> { ["output"] = output.detach().clone() };
        if (final is not null) results["final_state"] = final.detach().clone();
        foreach (var (name, leaf) in leaves(inputs))
        {
            results["grad " + name] = leaf.grad?.clone() ?? throw new InvalidOperationException($"no gradient reached {name}");
            leaf.grad.zero_();
        }
        return results;
    }

    public static double RelativeError(Tensor actual, Tensor expected)
    {
        var e = expected.to_type(ScalarType.Float64);
        double norm = e.norm().item<double>();
        double diff = (actual.to_type(ScalarType.Float64) - e).norm().item<double>();
        return norm == 0 ? diff : diff / norm;
    }

    /// <summary>Asserts every entry of <paramref name="actual"/> is within <paramref name="tolerance"/> relative error of <paramref name="expected"/>, naming the first that is not.</summary>
    public static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, reference) in expected)
        {
            Assert.Equal(reference.shape, actual[name].shape);
            double error = RelativeError(actual[name], reference);
            Assert.True(error <= tolerance, $"{what}: {name} has relative error {error:E2} > {tolerance:E0}");
        }
    }
}
