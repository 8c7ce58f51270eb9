using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>
/// A benchmark problem for the scan kernels, with random inputs shaped like a trained layer's.
/// One state update is one (batch, channel, step, state) element: B·D·L·N for Mamba-1, b·l·h·p·n for Mamba-2.
/// </summary>
public sealed record ScanWorkload(string Name, ScanKind Kind, long Batch, long Channels, long Length, long StateSize, long HeadDim = 1)
{
    /// <summary>The shapes of the scan-kernel benchmark: one mamba-130m layer, a batched short one, a wide-state long one, and a Mamba-2 layer.</summary>
    public static IReadOnlyList<ScanWorkload> Standard { get; } =
    [
        new("mamba-130m layer", ScanKind.Selective, Batch: 1, Channels: 1536, Length: 2048, StateSize: 16),
        new("batched", ScanKind.Selective, Batch: 8, Channels: 256, Length: 1024, StateSize: 16),
        new("wide state", ScanKind.Selective, Batch: 1, Channels: 1024, Length: 4096, StateSize: 64),
        new("mamba-2 layer", ScanKind.Ssd, Batch: 1, Channels: 24, Length: 4096, StateSize: 128, HeadDim: 64),
    ];

    /// <summary>State updates per forward pass.</summary>
    public long StateUpdates => Batch * Channels * Length * StateSize * HeadDim;

    /// <summary>The shape in the notation of the papers.</summary>
    public string Shape => Kind == ScanKind.Selective
        ? $"B={Batch} D={Channels} N={StateSize} L={Length}"
        : $"b={Batch} l={Length} h={Channels} p={HeadDim} n={StateSize}";

    /// <summary>Fresh random Mamba-1 inputs (softplus, delta bias, D and z on, as in a Mamba block); leaves require grad when <paramref name="requiresGrad"/>.</summary>
    public SelectiveScanInputs SelectiveInputs(bool requiresGrad, ulong seed = 0)
    {
        var g = new Generator(seed);
        Tensor Leaf(Tensor t) => requiresGrad ? t.requires_grad_() : t;
        return new SelectiveScanInputs
        {
            U = Leaf(randn([Batch, Channels, Length], generator: g)),
            Delta = Leaf(randn([Batch, Channels, Length], generator: g) * 0.5 - 3),
            A = Leaf(-arange(1, StateSize + 1, ScalarType.Float32).repeat(Channels, 1)),
            B = Leaf(randn([Batch, StateSize, Length], generator: g)),
            C = Leaf(randn([Batch, StateSize, Length], generator: g)),
            D = Leaf(ones(Channels)),
            Z = Leaf(randn([Batch, Channels, Length], generator: g)),
            DeltaBias = Leaf(randn([Channels], generator: g) * 0.1),
            DeltaSoftplus = true,
        };
    }

    /// <summary>Fresh random Mamba-2 inputs (one group, softplus, dt bias and D on, as in a Mamba-2 block).</summary>
    public SsdScanInputs SsdInputs(bool requiresGrad, ulong seed = 0)
    {
        var g = new Generator(seed);
        Tensor Leaf(Tensor t) => requiresGrad ? t.requires_grad_() : t;
        return new SsdScanInputs
        {
            X = Leaf(randn([Batch, Length, Channels, HeadDim], generator: g)),
            Dt = Leaf(randn([Batch, Length, Channels], generator: g) * 0.5 - 3),
            A = Leaf(-(rand([Channels], generator: g) * 15 + 1)),
            B = Leaf(randn([Batch, Length, 1, StateSize], generator: g)),
            C = Leaf(randn([Batch, Length, 1, StateSize], generator: g)),
            D = Leaf(ones(Channels)),
            DtBias = Leaf(randn([Channels], generator: g) * 0.1),
            DtSoftplus = true,
        };
    }

    /// <summary>
    /// Makes the inputs once and returns an action that runs one forward pass with <paramref name="kernel"/>
    /// (and, when <paramref name="backward"/>, a backward pass of the summed output), so timing excludes input generation.
    /// </summary>
    public PreparedScan Prepare(IScanKernel kernel, bool backward, ulong seed = 0)
    {
        var inputs = NewDisposeScope();
        if (Kind == ScanKind.Selective)
        {
            var args = SelectiveInputs(backward, seed);
            inputs.Detach(ScanInputsOf(args));
            inputs.Dispose();
            return new PreparedScan(ScanInputsOf(args), () => Finish(kernel.SelectiveScan(args).Output, backward));
        }
        var ssd = SsdInputs(backward, seed);
        inputs.Detach(ScanInputsOf(ssd));
        inputs.Dispose();
        return new PreparedScan(ScanInputsOf(ssd), () => Finish(kernel.Ssd(ssd).Output, backward));
    }

    private static void Finish(Tensor output, bool backward)
    {
        if (backward) output.sum().backward();
    }

    private static Tensor[] ScanInputsOf(SelectiveScanInputs i) => [i.U, i.Delta, i.A, i.B, i.C, i.D!, i.Z!, i.DeltaBias!];

    private static Tensor[] ScanInputsOf(SsdScanInputs i) => [i.X, i.Dt, i.A, i.B, i.C, i.D!, i.DtBias!];
}

/// <summary>A benchmark problem with its inputs made; <see cref="Run"/> runs one pass, <see cref="Dispose"/> frees the inputs.</summary>
public sealed class PreparedScan(Tensor[] inputs, Action pass) : IDisposable
{
    /// <summary>Runs one pass, freeing its intermediate tensors before returning.</summary>
    public void Run()
    {
        using var scope = NewDisposeScope();
        pass();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in inputs) tensor.Dispose();
    }
}
