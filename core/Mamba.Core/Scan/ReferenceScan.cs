using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>
/// The oracle: one time step at a time with libtorch ops, differentiated by libtorch.
/// Slow (about 0.03 G state-updates/s on a CPU), and never chosen automatically; every other kernel is tested against it.
/// </summary>
[ScanKernel("reference", Priority = 0)]
public sealed class ReferenceScan : IScanKernel
{
    /// <inheritdoc />
    public string? WhyUnsupported(in ScanProblem problem) => null;

    /// <inheritdoc />
    public SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        var type = ScanMath.ComputeType(inputs.U);
        using var scope = NewDisposeScope();

        var u = inputs.U.to_type(type);
        var delta = ScanMath.StepSize(inputs.Delta, inputs.DeltaBias, inputs.DeltaSoftplus, type, biasDim: 1);
        var a = inputs.A.to_type(type);
        var b = ScanMath.PerChannel(inputs.B, shape.Channels, type); // (B, D, N, L)
        var c = ScanMath.PerChannel(inputs.C, shape.Channels, type);
        var h = inputs.InitialState?.to_type(type) ?? zeros([shape.Batch, shape.Channels, shape.StateSize], type, u.device);

        var ys = new Tensor[shape.Length];
        for (long l = 0; l < shape.Length; l++)
        {
            var dl = delta[.., .., l].unsqueeze(-1);                             // (B, D, 1)
            var decay = (dl * a).exp();                                          // ΔA: (B, D, N)
            var drive = (dl * u[.., .., l].unsqueeze(-1)) * b[.., .., .., l];    // ΔB·u: (B, D, N)
            h = decay * h + drive;
            ys[l] = (h * c[.., .., .., l]).sum(-1);                              // y_l = C_l·h_l: (B, D)
        }
        var y = stack(ys, dim: -1);
        var output = ScanMath.SkipAndGate(y, u, inputs.D, inputs.Z, type).to_type(inputs.U.dtype);
        return new SelectiveScanOutput(output.MoveToOuterDisposeScope(), inputs.ReturnFinalState ? h.MoveToOuterDisposeScope() : null);
    }

    /// <inheritdoc />
    public SsdScanOutput Ssd(SsdScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        var type = ScanMath.ComputeType(inputs.X);
        using var scope = NewDisposeScope();

        var x = inputs.X.to_type(type);
        var dt = ScanMath.StepSize(inputs.Dt, inputs.DtBias, inputs.DtSoftplus, type, biasDim: 2); // (b, l, h)
        var a = inputs.A.to_type(type);
        var b = ScanMath.PerHead(inputs.B, shape.Heads, type); // (b, l, h, n)
        var c = ScanMath.PerHead(inputs.C, shape.Heads, type);
        var h = inputs.InitialStates?.to_type(type) ?? zeros([shape.Batch, shape.Heads, shape.HeadDim, shape.StateSize], type, x.device);

        var ys = new Tensor[shape.Length];
        for (long t = 0; t < shape.Length; t++)
        {
            var dtt = dt[.., t];                                                       // (b, h)
            var decay = (dtt * a).exp().unsqueeze(-1).unsqueeze(-1);                   // (b, h, 1, 1)
            var drive = (dtt.unsqueeze(-1) * x[.., t]).unsqueeze(-1) * b[.., t].unsqueeze(2); // (b, h, p, n)
            h = decay * h + drive;
            ys[t] = (h * c[.., t].unsqueeze(2)).sum(-1);                               // (b, h, p)
        }
        var y = stack(ys, dim: 1);
        if (inputs.D is { } d) y = y + d.to_type(type).view(1, 1, -1, 1) * x;
        return new SsdScanOutput(y.to_type(inputs.X.dtype).MoveToOuterDisposeScope(), inputs.ReturnFinalStates ? h.MoveToOuterDisposeScope() : null);
    }
}
