using Mamba.Core.Scan;
using TorchSharp;
using static Mamba.Core.Tests.Scan.ScanCases;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class SsdScanExactnessTests
{
    private const double Fp32Tolerance = 1e-4;

    private static readonly Dictionary<string, SsdOptions> Options = new()
    {
        ["everything on, n=16, prime l=37, 2 groups, chunk 16"] = new(),
        ["bare: l=1, n=1, one head, no D/bias/softplus/initial"] = new(Batch: 1, Length: 1, Heads: 1, HeadDim: 1, Groups: 1, StateSize: 1, Skip: false, Bias: false, Softplus: false, Initial: false),
        ["n=128, l=70 not a multiple of chunk 32"] = new(Batch: 1, Length: 70, Heads: 2, HeadDim: 4, Groups: 1, StateSize: 128, Chunk: 32),
        ["n=64, chunk longer than the sequence"] = new(Batch: 2, Length: 50, Heads: 2, HeadDim: 3, Groups: 2, StateSize: 64, Chunk: 256, Initial: false),
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var kernel in CheckedSsdKernels)
            foreach (var name in Options.Keys)
                data.Add(kernel, name);
        return data;
    }

    private static Dictionary<string, Tensor> Run(IScanKernel kernel, SsdScanInputs inputs, long seed) =>
        ForwardAndGradients(inputs, i =>
        {
            var r = kernel.Ssd(i);
            return (r.Output, r.FinalStates);
        }, Leaves, seed);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_matches_reference_forward_and_every_gradient(string kernel, string caseName)
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        using var scope = NewDisposeScope();

        var expected = Run(registry.Get("reference"), Ssd(Options[caseName], 13), 13);
        var actual = Run(Kernel(kernel), Ssd(Options[caseName], 13), 13);

        AssertClose(expected, actual, Fp32Tolerance, $"{kernel} on '{caseName}'");
    }

    [Fact]
    public void Reference_gradients_match_finite_differences_in_float64()
    {
        using var scope = NewDisposeScope();
        var reference = new ReferenceScan();
        var inputs = Ssd(new SsdOptions(Batch: 1, Length: 4, Heads: 2, HeadDim: 2, Groups: 1, StateSize: 3, Type: ScalarType.Float64), seed: 4);
        Tensor LossOf()
        {
            var result = reference.Ssd(inputs);
            return Loss(result.Output, result.FinalStates, seed: 4);
        }

        LossOf().backward();
        foreach (var (name, leaf) in Leaves(inputs))
            SelectiveScanExactnessTests.AssertMatchesFiniteDifferences(name, leaf, LossOf);
    }

    [Theory]
    [InlineData("reference")]
    [InlineData("chunked")]
    [InlineData("fused-cpu/128")]
    [InlineData("fused-cpu/256")]
    [InlineData("fused-cpu/512")]
    public void Scanning_in_two_pieces_with_state_passing_equals_one_pass(string kernelName)
    {
        var kernel = Kernel(kernelName);
        using var scope = NewDisposeScope();
        var options = new SsdOptions(Length: 90, Chunk: 16);
        const long split = 41;

        var whole = Run(kernel, Ssd(options, 6), 6);
        var pieces = ForwardAndGradients(Ssd(options, 6), i =>
        {
            var first = kernel.Ssd(Slice(i, 0, split, i.InitialStates));
            var second = kernel.Ssd(Slice(i, split, options.Length, first.FinalStates));
            return (cat([first.Output, second.Output], dim: 1), second.FinalStates);
        }, Leaves, 6);

        AssertClose(whole, pieces, Fp32Tolerance, $"{kernelName} in two pieces");
    }

    [Fact]
    public void Chunk_size_changes_nothing_but_speed()
    {
        var chunked = new ChunkedScan();
        using var scope = NewDisposeScope();
        var small = Run(chunked, Ssd(new SsdOptions(Length: 45, Chunk: 8), 8), 8);
        var large = Run(chunked, Ssd(new SsdOptions(Length: 45, Chunk: 64), 8), 8);

        AssertClose(small, large, Fp32Tolerance, "chunk 8 against chunk 64");
    }

    private static SsdScanInputs Slice(SsdScanInputs i, long start, long end, Tensor? initial)
    {
        var steps = TensorIndex.Slice(start, end);
        return i with { X = i.X[.., steps], Dt = i.Dt[.., steps], B = i.B[.., steps], C = i.C[.., steps], InitialStates = initial };
    }
}
