using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Autograd wiring of the fused CPU selective scan: forward and analytic backward both run in
/// <see cref="SelectiveScanCpu"/>. Arguments: u, delta, A, B, C, D?, z?, delta_bias?, h0?, softplus, return final state,
/// SIMD width, differentiable (whether anything will back-propagate: only then are inputs kept for the backward pass),
/// what the forward puts in the lanes.
/// Outputs: the scan output, and the final state when asked for (an output nobody uses would reach backward as an
/// undefined gradient, which TorchSharp wraps in an object it never releases). The forward pass reads u, δ and z in
/// the layout they arrive in and writes the output in u's layout, so a time-major block (u, δ and z transposed views
/// of (B, L, ·) projections) needs no transposed copies either way.
/// </summary>
internal sealed class SelectiveScanFunction : autograd.MultiTensorFunction<SelectiveScanFunction>
{
    private const string SoftplusKey = "softplus", GroupedKey = "grouped", StateSizeKey = "n", InitialKey = "initial", WidthKey = "width";

    public override string Name => "MambaFusedSelectiveScan";

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (u0, delta0, a0, b0, c0) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (d0, z0, bias0, h00) = (vars[5] as Tensor, vars[6] as Tensor, vars[7] as Tensor, vars[8] as Tensor);
        bool softplus = (bool)vars[9], returnFinal = (bool)vars[10];
        var width = (SimdWidth)vars[11];
        bool differentiable = (bool)vars[12];
        var lanes = (FusedScanLanes)vars[13];
        long batch = u0.shape[0], channels = u0.shape[1], length = u0.shape[2], n = a0.shape[1];
        long padded = FusedLayout.PadStateSize(n);

        // TorchSharp would materialise a missing output gradient from a cached tensor that the caller's dispose
        // scope has already freed; take undefined gradients as they come and read them as zeros instead.
        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        // The forward reads u, δ and z where they lie (a block's time-major views, gathered a vector per step); the
        // backward pass reads channel-major rows, so only a differentiable call pays for contiguous copies of them.
        var u = u0.to_type(ScalarType.Float32);
        var delta = delta0.to_type(ScalarType.Float32);
        var a = FusedLayout.PadLast(FusedLayout.Float32(a0), padded);
        var b = FusedLayout.TimeMajor(b0, padded);
        var c = FusedLayout.TimeMajor(c0, padded);
        var dSkip = FusedLayout.Float32OrNull(d0);
        var z = z0?.to_type(ScalarType.Float32);
        var bias = FusedLayout.Float32OrNull(bias0);
        var h0 = h00 is null ? null : FusedLayout.PadLast(FusedLayout.Float32(h00), padded);

        var p = new SelectiveScanBuffers
        {
            Batch = batch, Channels = channels, Length = length, StateSize = padded, Groups = b.shape[1], Softplus = softplus,
        };
        var output = RowStrides.Of(u0).IsTimeMajor
            ? empty([batch, length, channels], ScalarType.Float32).transpose(1, 2)
            : empty([batch, channels, length], ScalarType.Float32);
        var gated = z is null || !differentiable ? null : empty([batch, channels, length], ScalarType.Float32);
        var carries = differentiable ? empty([batch, channels, p.Chunks, padded], ScalarType.Float32) : null;
        var final = empty([batch, channels, padded], ScalarType.Float32);
        unsafe
        {
            p.U = RowMath.ViewPointer(u); p.Delta = RowMath.ViewPointer(delta); p.A = RowMath.Pointer(a);
            p.B = RowMath.Pointer(b); p.C = RowMath.Pointer(c); p.D = RowMath.PointerOrNull(dSkip);
            p.Z = RowMath.ViewPointerOrNull(z); p.Bias = RowMath.PointerOrNull(bias); p.InitialState = RowMath.PointerOrNull(h0);
            p.Output = RowMath.ViewPointer(output); p.Gated = RowMath.PointerOrNull(gated);
            p.Carries = RowMath.PointerOrNull(carries); p.FinalState = RowMath.Pointer(final);
            p.UStrides = RowStrides.Of(u); p.DeltaStrides = RowStrides.Of(delta); p.OutputStrides = RowStrides.Of(output);
            if (z is not null) p.ZStrides = RowStrides.Of(z);
            SelectiveScanCpu.Forward(p, width, lanes);
        }

        if (differentiable)
        {
            FusedLayout.SaveForBackward(ctx, u.contiguous(), delta.contiguous(), a, b, c, dSkip, z?.contiguous(), bias, carries, gated);
            ctx.save_data(SoftplusKey, softplus);
            ctx.save_data(GroupedKey, b0.dim() == 4);
            ctx.save_data(StateSizeKey, n);
            ctx.save_data(InitialKey, h0 is not null);
            ctx.save_data(WidthKey, width);
        }
        var results = new List<Tensor> { output.to_type(u0.dtype).MoveToOuterDisposeScope() };
        if (returnFinal) results.Add(final[.., .., ..(int)n].to_type(u0.dtype).MoveToOuterDisposeScope());
        return results;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var saved = ctx.get_saved_variables();
        var (u, delta, a, b, c, dSkip, z, bias, carries, gated) =
            (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6], saved[7], saved[8], saved[9]);
        bool softplus = (bool)ctx.get_data(SoftplusKey);
        bool grouped = (bool)ctx.get_data(GroupedKey);
        long n = (long)ctx.get_data(StateSizeKey);
        bool initial = (bool)ctx.get_data(InitialKey);
        var width = (SimdWidth)ctx.get_data(WidthKey);
        long batch = u.shape[0], channels = u.shape[1], length = u.shape[2], padded = a.shape[1], groups = b.shape[1];

        var dOutput = FusedLayout.Float32OrZeros(gradOutputs[0], [batch, channels, length]);
        var dFinal = FusedLayout.PadLast(FusedLayout.Float32OrZeros(gradOutputs.ElementAtOrDefault(1), [batch, channels, n]), padded);
        var du = empty([batch, channels, length], ScalarType.Float32);
        var dDelta = empty([batch, channels, length], ScalarType.Float32);
        var dz = z is null ? null : empty([batch, channels, length], ScalarType.Float32);
        var dh0 = empty([batch, channels, padded], ScalarType.Float32);
        var dAPartial = empty([batch, channels, padded], ScalarType.Float32);
        var dDPartial = empty([batch, channels], ScalarType.Float32);
        var dBiasPartial = empty([batch, channels], ScalarType.Float32);
        var dB = empty([batch, groups, length, padded], ScalarType.Float32);
        var dC = empty([batch, groups, length, padded], ScalarType.Float32);

        var p = new SelectiveScanBuffers
        {
            Batch = batch, Channels = channels, Length = length, StateSize = padded, Groups = groups, Softplus = softplus,
        };
        unsafe
        {
            p.U = RowMath.Pointer(u); p.Delta = RowMath.Pointer(delta); p.A = RowMath.Pointer(a);
            p.B = RowMath.Pointer(b); p.C = RowMath.Pointer(c); p.D = RowMath.PointerOrNull(dSkip);
            p.Z = RowMath.PointerOrNull(z); p.Bias = RowMath.PointerOrNull(bias);
            p.Carries = RowMath.Pointer(carries); p.Gated = RowMath.PointerOrNull(gated);
            var g = new SelectiveScanGradients
            {
                DOutput = RowMath.Pointer(dOutput), DFinalState = RowMath.Pointer(dFinal),
                DU = RowMath.Pointer(du), DDelta = RowMath.Pointer(dDelta), DZ = RowMath.PointerOrNull(dz),
                DInitialState = RowMath.Pointer(dh0), DAPartial = RowMath.Pointer(dAPartial),
                DDPartial = RowMath.Pointer(dDPartial), DBiasPartial = RowMath.Pointer(dBiasPartial),
                DB = RowMath.Pointer(dB), DC = RowMath.Pointer(dC),
            };
            SelectiveScanCpu.Backward(p, g, width);
        }

        var state = TensorIndex.Slice(0, n);
        Tensor BackToInputLayout(Tensor grad)
        {
            var unpadded = grad[.., .., .., state].transpose(-1, -2);                   // (B, G, N, L)
            return grouped ? unpadded : unpadded.squeeze(1);
        }
        return
        [
            du, dDelta, dAPartial.sum(dim: 0)[.., state], BackToInputLayout(dB), BackToInputLayout(dC),
            dSkip is null ? null! : dDPartial.sum(dim: 0), dz!, bias is null ? null! : dBiasPartial.sum(dim: 0),
            initial ? dh0[.., .., state] : null!, null!, null!, null!, null!, null!,
        ];
    }
}
