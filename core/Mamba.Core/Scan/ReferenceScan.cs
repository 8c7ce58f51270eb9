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
        // Channels split into (groups, channels per group) so B and C broadcast instead of being copied per channel;
        // every per-step operand is made time-major once, so each step reads contiguous slices.
        long g = shape.Groups, perGroup = shape.Channels / g;
        var uT = u.view(shape.Batch, g, perGroup, shape.Length).permute(3, 0, 1, 2).contiguous();      // (L, B, G, D/G)
        var deltaT = delta.view(shape.Batch, g, perGroup, shape.Length).permute(3, 0, 1, 2).contiguous();
        var a = inputs.A.to_type(type).view(g, perGroup, shape.StateSize);                              // (G, D/G, N)
        var bT = TimeMajorGroups(inputs.B, type);                                                       // (L, B, G, 1, N)
        var cT = TimeMajorGroups(inputs.C, type);
        var h = inputs.InitialState?.to_type(type).view(shape.Batch, g, perGroup, shape.StateSize)
            ?? zeros([shape.Batch, g, perGroup, shape.StateSize], type, u.device);

        var ys = new Tensor[shape.Length];
        for (long l = 0; l < shape.Length; l++)
        {
            using var stepScope = NewDisposeScope();
            var dl = deltaT[l].unsqueeze(-1);                         // (B, G, D/G, 1)
            var decay = (dl * a).exp();                               // ΔA: (B, G, D/G, N)
            var drive = dl * uT[l].unsqueeze(-1) * bT[l];             // ΔB·u
            h = (decay * h + drive).MoveToOuterDisposeScope();
            ys[l] = (h * cT[l]).sum(-1).MoveToOuterDisposeScope();    // y_l = C_l·h_l: (B, G, D/G)
        }
        h = h.reshape(shape.Batch, shape.Channels, shape.StateSize);
        var y = stack(ys, dim: -1).reshape(shape.Batch, shape.Channels, shape.Length);
        var output = ScanMath.SkipAndGate(y, u, inputs.D, inputs.Z, type).to_type(inputs.U.dtype);
        return new SelectiveScanOutput(output.MoveToOuterDisposeScope(), inputs.ReturnFinalState ? h.MoveToOuterDisposeScope() : null);
    }

    /// <summary>B or C, (B, N, L) or (B, G, N, L), as (L, B, G, 1, N): one contiguous slice per step, broadcast over a group's channels.</summary>
    private static Tensor TimeMajorGroups(Tensor bc, ScalarType type)
    {
        var grouped = bc.dim() == 3 ? bc.unsqueeze(1) : bc;
        return grouped.to_type(type).permute(3, 0, 1, 2).unsqueeze(3).contiguous();
    }

    /// <inheritdoc />
    public SsdScanOutput Ssd(SsdScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        var type = ScanMath.ComputeType(inputs.X);
        using var scope = NewDisposeScope();

        var x = inputs.X.to_type(type);
        var dt = ScanMath.StepSize(inputs.Dt, inputs.DtBias, inputs.DtSoftplus, type, biasDim: 2); // (b, l, h)
        long g = shape.Groups, perGroup = shape.Heads / g, bsz = shape.Batch;
        var xT = x.view(bsz, shape.Length, g, perGroup, shape.HeadDim).transpose(0, 1).contiguous(); // (l, b, g, h/g, p)
        var dtT = dt.view(bsz, shape.Length, g, perGroup).transpose(0, 1).contiguous();            // (l, b, g, h/g)
        var a = inputs.A.to_type(type).view(g, perGroup);
        var bT = inputs.B.to_type(type).transpose(0, 1).unsqueeze(3).unsqueeze(3).contiguous();    // (l, b, g, 1, 1, n)
        var cT = inputs.C.to_type(type).transpose(0, 1).unsqueeze(3).unsqueeze(3).contiguous();
        var h = inputs.InitialStates?.to_type(type).view(bsz, g, perGroup, shape.HeadDim, shape.StateSize)
            ?? zeros([bsz, g, perGroup, shape.HeadDim, shape.StateSize], type, x.device);

        var ys = new Tensor[shape.Length];
        for (long t = 0; t < shape.Length; t++)
        {
            using var stepScope = NewDisposeScope();
            var dtt = dtT[t];                                                          // (b, g, h/g)
            var decay = (dtt * a).exp().unsqueeze(-1).unsqueeze(-1);                   // (b, g, h/g, 1, 1)
            var drive = (dtt.unsqueeze(-1) * xT[t]).unsqueeze(-1) * bT[t];             // (b, g, h/g, p, n)
            h = (decay * h + drive).MoveToOuterDisposeScope();
            ys[t] = (h * cT[t]).sum(-1).MoveToOuterDisposeScope();                     // (b, g, h/g, p)
        }
        h = h.reshape(bsz, shape.Heads, shape.HeadDim, shape.StateSize);
        var y = stack(ys, dim: 1).reshape(bsz, shape.Length, shape.Heads, shape.HeadDim);
        if (inputs.D is { } d) y = y + d.to_type(type).view(1, 1, -1, 1) * x;
        return new SsdScanOutput(y.to_type(inputs.X.dtype).MoveToOuterDisposeScope(), inputs.ReturnFinalStates ? h.MoveToOuterDisposeScope() : null);
    }
}
