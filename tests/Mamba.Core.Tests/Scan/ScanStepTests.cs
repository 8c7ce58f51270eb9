using Mamba.Core.Scan;
using TorchSharp;
using static Mamba.Core.Tests.Scan.ScanCases;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class ScanStepTests
{
    [Fact]
    public void Selective_steps_reproduce_the_full_scan_and_its_final_state()
    {
        using var scope = NewDisposeScope();
        var i = Selective(new SelectiveOptions(Length: 12, Groups: 2), 21);
        var full = new ReferenceScan().SelectiveScan(i);

        var state = i.InitialState!;
        var outputs = new List<Tensor>();
        for (long l = 0; l < 12; l++)
        {
            var (y, next) = SelectiveScan.Step(state, i.U[.., .., l], i.Delta[.., .., l], i.A,
                i.B[TensorIndex.Ellipsis, l], i.C[TensorIndex.Ellipsis, l], i.D, i.Z![.., .., l], i.DeltaBias, i.DeltaSoftplus);
            outputs.Add(y);
            state = next;
        }

        Assert.True(RelativeError(stack(outputs, dim: -1), full.Output) < 1e-5, "step outputs differ from the scan");
        Assert.True(RelativeError(state, full.FinalState!) < 1e-5, "the stepped state differs from the scan's final state");
    }

    [Fact]
    public void Ssd_steps_reproduce_the_full_scan_and_its_final_state()
    {
        using var scope = NewDisposeScope();
        var i = Ssd(new SsdOptions(Length: 10), 22);
        var full = new ReferenceScan().Ssd(i);

        var states = i.InitialStates!;
        var outputs = new List<Tensor>();
        for (long t = 0; t < 10; t++)
        {
            var (y, next) = SsdScan.Step(states, i.X[.., t], i.Dt[.., t], i.A, i.B[.., t], i.C[.., t], i.D, i.DtBias, i.DtSoftplus);
            outputs.Add(y);
            states = next;
        }

        Assert.True(RelativeError(stack(outputs, dim: 1), full.Output) < 1e-5, "step outputs differ from the scan");
        Assert.True(RelativeError(states, full.FinalStates!) < 1e-5, "the stepped states differ from the scan's final states");
    }
}
