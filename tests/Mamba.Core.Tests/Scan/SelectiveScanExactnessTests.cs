using Mamba.Core.Scan;
using TorchSharp;
using static Mamba.Core.Tests.Scan.ScanCases;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class SelectiveScanExactnessTests
{
    private const double Fp32Tolerance = 1e-4;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var kernel in CheckedKernels)
            foreach (var name in Options.Keys)
                data.Add(kernel, name);
        return data;
    }

    private static readonly Dictionary<string, SelectiveOptions> Options = new()
    {
        ["everything on, N=16, prime L=37, batch 2"] = new(),
        ["bare: L=1, N=1, no D/z/bias/softplus/h0"] = new(Batch: 1, Channels: 3, StateSize: 1, Length: 1, Skip: false, Gate: false, Bias: false, Softplus: false, Initial: false),
        ["grouped B/C (G=2), N=64, L=130 not a multiple of the chunk"] = new(Batch: 2, Channels: 4, StateSize: 64, Length: 130, Groups: 2),
        ["N=128, L=65, gate only, softplus without bias"] = new(Batch: 1, Channels: 3, StateSize: 128, Length: 65, Skip: false, Bias: false, Initial: false),
        ["N=16, one group per channel, no softplus"] = new(Batch: 3, Channels: 2, StateSize: 16, Length: 20, Groups: 2, Softplus: false),
        ["20 channels, L=300: two channel blocks and two time tiles of the fused forward"] = new(Batch: 1, Channels: 20, StateSize: 16, Length: 300, Groups: 4),
        ["48 channels in 3 groups, N=32, L=70: whole lane blocks per group, the widest state run in lanes"] = new(Batch: 2, Channels: 48, StateSize: 32, Length: 70, Groups: 3),
    };

    private static Dictionary<string, Tensor> Run(IScanKernel kernel, SelectiveOptions options, long seed) =>
        ForwardAndGradients(Selective(options, seed), i =>
        {
            var r = kernel.SelectiveScan(i);
            return (r.Output, r.FinalState);
        }, Leaves, seed);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernel_matches_reference_forward_and_every_gradient(string kernel, string caseName)
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        using var scope = NewDisposeScope();

        var expected = Run(registry.Get("reference"), Options[caseName], seed: 11);
        var actual = Run(Kernel(kernel), Options[caseName], seed: 11);

        AssertClose(expected, actual, Fp32Tolerance, $"{kernel} on '{caseName}'");
        // Without autograd the fused forward stores no carries: a separate path, checked on its own.
        using var noGrad = no_grad();
        var inference = Kernel(kernel).SelectiveScan(Selective(Options[caseName], seed: 11));
        Assert.True(RelativeError(inference.Output, expected["output"]) <= Fp32Tolerance, $"{kernel} on '{caseName}': the forward without autograd differs from the reference");
        Assert.True(RelativeError(inference.FinalState!, expected["final_state"]) <= Fp32Tolerance, $"{kernel} on '{caseName}': the final state without autograd differs");
    }

    [Fact]
    public void Reference_gradients_match_finite_differences_in_float64()
    {
        using var scope = NewDisposeScope();
        var options = new SelectiveOptions(Batch: 2, Channels: 2, StateSize: 3, Length: 5, Groups: 0, Type: ScalarType.Float64);
        var reference = new ReferenceScan();
        var inputs = Selective(options, seed: 3);
        Tensor LossOf()
        {
            var result = reference.SelectiveScan(inputs);
            return Loss(result.Output, result.FinalState, seed: 3);
        }

        LossOf().backward();
        foreach (var (name, leaf) in Leaves(inputs))
            AssertMatchesFiniteDifferences(name, leaf, LossOf);
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
        var options = new SelectiveOptions(Length: 150, StateSize: 16);
        const long split = 71;

        var whole = ForwardAndGradients(Selective(options, 5), i =>
        {
            var r = kernel.SelectiveScan(i);
            return (r.Output, r.FinalState);
        }, Leaves, 5);

        var pieces = ForwardAndGradients(Selective(options, 5), i =>
        {
            var first = kernel.SelectiveScan(Slice(i, 0, split, i.InitialState));
            var second = kernel.SelectiveScan(Slice(i, split, options.Length, first.FinalState));
            return (cat([first.Output, second.Output], dim: -1), second.FinalState);
        }, Leaves, 5);

        AssertClose(whole, pieces, Fp32Tolerance, $"{kernelName} in two pieces");
    }

    [Theory]
    [InlineData("fused-cpu/128")]
    [InlineData("fused-cpu/256")]
    [InlineData("fused-cpu/512")]
    [InlineData("fused-cpu/128/states")]
    [InlineData("fused-cpu/256/states")]
    [InlineData("fused-cpu/512/states")]
    public void Fused_kernel_reads_time_major_views_in_place_and_matches_the_reference(string kernelName)
    {
        var kernel = Kernel(kernelName);
        using var scope = NewDisposeScope();
        var options = new SelectiveOptions(Batch: 2, Channels: 20, StateSize: 16, Length: 300);
        var expected = Run(ScanKernelRegistry.WithCoreKernels().Get("reference"), options, seed: 23);

        // u, δ and z as a Mamba block passes them: transposed views of (B, L, E) tensors, z the second half of a
        // (B, L, 2E) projection; the other inputs are the usual leaves.
        var inputs = Selective(options, seed: 23);
        var u = inputs.U.detach().transpose(1, 2).contiguous().requires_grad_();
        var delta = inputs.Delta.detach().transpose(1, 2).contiguous().requires_grad_();
        var zValues = inputs.Z!.detach().transpose(1, 2);
        var projection = cat([zeros_like(zValues), zValues], dim: -1).requires_grad_();
        int half = (int)options.Channels;
        var timeMajor = inputs with { U = u.transpose(1, 2), Delta = delta.transpose(1, 2), Z = projection[.., .., half..].transpose(1, 2) };
        var result = kernel.SelectiveScan(timeMajor);
        Loss(result.Output, result.FinalState, seed: 23).backward();

        var actual = new Dictionary<string, Tensor>
        {
            ["output"] = result.Output.detach(), ["final_state"] = result.FinalState!.detach(),
            ["grad u"] = u.grad!.transpose(1, 2), ["grad delta"] = delta.grad!.transpose(1, 2),
            ["grad z"] = projection.grad![.., .., half..].transpose(1, 2),
        };
        foreach (var (name, leaf) in Leaves(inputs).Where(l => l.Name is not ("u" or "delta" or "z")))
            actual["grad " + name] = leaf.grad!;
        AssertClose(expected, actual, Fp32Tolerance, $"{kernelName} on time-major u, delta and z");
        Assert.True(result.Output.stride(1) == 1, "the output is not time-major like u");

        using var noGrad = no_grad();
        var plain = kernel.SelectiveScan(timeMajor).Output;
        Assert.True(RelativeError(plain, expected["output"]) <= Fp32Tolerance, "the forward without autograd differs from the reference");
    }

    [Fact]
    public void Fused_gradients_are_bit_identical_from_run_to_run()
    {
        var fused = new FusedCpuScan();
        using var scope = NewDisposeScope();
        var options = new SelectiveOptions(Batch: 1, Channels: 64, StateSize: 16, Length: 300, Groups: 2);

        var first = Run(fused, options, seed: 17);
        var second = Run(fused, options, seed: 17);

        foreach (var (name, value) in first)
            Assert.True(value.eq(second[name]).all().item<bool>(), $"{name} differs between two identical runs");
    }

    private static SelectiveScanInputs Slice(SelectiveScanInputs i, long start, long end, Tensor? initial)
    {
        var steps = TensorIndex.Slice(start, end);
        return i with
        {
            U = i.U[.., .., steps],
            Delta = i.Delta[.., .., steps],
            B = i.B[TensorIndex.Ellipsis, steps],
            C = i.C[TensorIndex.Ellipsis, steps],
            Z = i.Z?[.., .., steps],
            InitialState = initial,
        };
    }

    internal static void AssertMatchesFiniteDifferences(string name, Tensor leaf, Func<Tensor> loss)
    {
        const double eps = 1e-6;
        var analytic = leaf.grad!.clone();
        var flat = leaf.detach().view(-1);
        for (long k = 0; k < flat.shape[0]; k++)
        {
            double original = flat[k].item<double>();
            double up, down;
            using (no_grad())
            {
                flat[k] = original + eps;
                up = loss().item<double>();
                flat[k] = original - eps;
                down = loss().item<double>();
                flat[k] = original;
            }
            double numeric = (up - down) / (2 * eps);
            double exact = analytic.view(-1)[k].item<double>();
            Assert.True(Math.Abs(numeric - exact) <= 1e-5 * Math.Max(1, Math.Abs(numeric)),
                $"d loss / d {name}[{k}]: autograd {exact:G8}, finite differences {numeric:G8}");
        }
    }
}
