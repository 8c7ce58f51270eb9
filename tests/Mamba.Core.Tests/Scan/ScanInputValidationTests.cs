using Mamba.Core.Scan;
using TorchSharp;
using static Mamba.Core.Tests.Scan.ScanCases;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class ScanInputValidationTests
{
    private static readonly ScanKernelRegistry Registry = new() { Options = new ScanOptions() };

    static ScanInputValidationTests() => Registry.RegisterExports(typeof(ScanKernelRegistry).Assembly);

    private static ArgumentException Rejects(SelectiveScanInputs inputs, ScanKernelRegistry? registry = null) =>
        Assert.Throws<ArgumentException>(() => SelectiveScan.Run(inputs, registry ?? Registry));

    [Fact]
    public void Mismatched_delta_is_named_with_both_shapes()
    {
        using var scope = NewDisposeScope();
        var inputs = Selective(new SelectiveOptions(), 1);

        var error = Rejects(inputs with { Delta = zeros(2, 4, 36) });

        Assert.Equal("delta", error.ParamName);
        Assert.Contains("[2, 4, 37]", error.Message);
        Assert.Contains("[2, 4, 36]", error.Message);
    }

    [Fact]
    public void Groups_that_do_not_divide_the_channels_are_rejected()
    {
        using var scope = NewDisposeScope();
        var inputs = Selective(new SelectiveOptions(), 1);

        var error = Rejects(inputs with { B = zeros(2, 3, 16, 37), C = zeros(2, 3, 16, 37) });

        Assert.Equal("B", error.ParamName);
        Assert.Contains("3 groups", error.Message);
    }

    [Fact]
    public void Integer_input_is_rejected_by_name()
    {
        using var scope = NewDisposeScope();
        var inputs = Selective(new SelectiveOptions(), 1);

        var error = Rejects(inputs with { Z = zeros([2, 4, 37], ScalarType.Int32) });

        Assert.Equal("z", error.ParamName);
        Assert.Contains("Int32", error.Message);
    }

    [Fact]
    public void Wrong_initial_state_shape_in_an_ssd_scan_is_named()
    {
        using var scope = NewDisposeScope();
        var inputs = Ssd(new SsdOptions(), 1);

        var error = Assert.Throws<ArgumentException>(() => SsdScan.Run(inputs with { InitialStates = zeros(2, 4, 8, 15) }, Registry));

        Assert.Equal("initial_states", error.ParamName);
    }

    [Fact]
    public void NaN_is_reported_with_its_position_when_the_finite_check_is_on()
    {
        using var scope = NewDisposeScope();
        var checking = ScanKernelRegistry.WithCoreKernels();
        checking.Options = new ScanOptions { CheckFinite = true };
        var inputs = Selective(new SelectiveOptions(), 1);
        var delta = inputs.Delta.detach().clone();
        delta[1, 2, 30] = float.NaN;

        var error = Rejects(inputs with { Delta = delta }, checking);

        Assert.Equal("delta", error.ParamName);
        Assert.Contains("[1, 2, 30]", error.Message);
    }

    [Fact]
    public void NaN_passes_through_unchecked_when_the_finite_check_is_off()
    {
        using var scope = NewDisposeScope();
        var inputs = Selective(new SelectiveOptions(), 1);
        var delta = inputs.Delta.detach().clone();
        delta[0, 0, 0] = float.NaN;

        var output = SelectiveScan.Run(inputs with { Delta = delta }, Registry).Output;

        Assert.True(output.isnan().any().item<bool>());
    }
}
