using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Autograd wiring of the fused CPU SSD scan. Arguments: x, dt, A, B, C, D?, dt_bias?, initial states?, softplus, return final states,
/// SIMD width.
/// Outputs: y, and the final states when asked for (see <see cref="SelectiveScanFunction"/>).
/// </summary>
internal sealed class SsdScanFunction : autograd.MultiTensorFunction<SsdScanFunction>
{
    private const string SoftplusKey = "softplus", StateSizeKey = "n", InitialKey = "initial", WidthKey = "width";

    public override string Name => "MambaFusedSsdScan";

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x0, dt0, a0, b0, c0) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (Tensor)vars[4]);
        var (d0, bias0, h00) = (vars[5] as Tensor, vars[6] as Tensor, vars[7] as Tensor);
        bool softplus = (bool)vars[8], returnFinal = (bool)vars[9];
        var width = (SimdWidth)vars[10];
        long batch = x0.shape[0], length = x0.shape[1], heads = x0.shape[2], dim = x0.shape[3], n = b0.shape[3];
        long padded = FusedLayout.PadStateSize(n);

        // TorchSharp would materialise a missing output gradient from a cached tensor that the caller's dispose
        // scope has already freed; take undefined gradients as they come and read them as zeros instead.
        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        var x = FusedLayout.Float32(x0);
        var dt = FusedLayout.Float32(dt0);
        var a = FusedLayout.Float32(a0);
        var b = FusedLayout.PadLast(FusedLayout.Float32(b0), padded);
        var c = FusedLayout.PadLast(FusedLayout.Float32(c0), padded);
        var dSkip = FusedLayout.Float32OrNull(d0);
        var bias = FusedLayout.Float32OrNull(bias0);
        var h0 = h00 is null ? null : FusedLayout.PadLast(FusedLayout.Float32(h00), padded);

        var p = new SsdScanBuffers
        {
            Batch = batch, Length = length, Heads = heads, HeadDim = dim, Groups = b.shape[2], StateSize = padded, Softplus = softplus,
        };
        var output = empty([batch, length, heads, dim], ScalarType.Float32);
        var carries = empty([batch, heads, p.Chunks, dim, padded], ScalarType.Float32);
        var final = empty([batch, heads, dim, padded], ScalarType.Float32);
        unsafe
        {
            p.X = RowMath.Pointer(x); p.Dt = RowMath.Pointer(dt); p.A = RowMath.Pointer(a);
            p.B = RowMath.Pointer(b); p.C = RowMath.Pointer(c); p.D = RowMath.PointerOrNull(dSkip);
            p.Bias = RowMath.PointerOrNull(bias); p.InitialStates = RowMath.PointerOrNull(h0);
            p.Output = RowMath.Pointer(output); p.Carries = RowMath.Pointer(carries); p.FinalStates = RowMath.Pointer(final);
            SsdScanCpu.Forward(p, width);
        }

        FusedLayout.SaveForBackward(ctx, x, dt, a, b, c, dSkip, bias, carries);
        ctx.save_data(SoftplusKey, softplus);
        ctx.save_data(StateSizeKey, n);
        ctx.save_data(InitialKey, h0 is not null);
        ctx.save_data(WidthKey, width);
        var results = new List<Tensor> { output.to_type(x0.dtype).MoveToOuterDisposeScope() };
        if (returnFinal) results.Add(final[.., .., .., ..(int)n].to_type(x0.dtype).MoveToOuterDisposeScope());
        return results;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var saved = ctx.get_saved_variables();
        var (x, dt, a, b, c, dSkip, bias, carries) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5], saved[6], saved[7]);
        bool softplus = (bool)ctx.get_data(SoftplusKey);
        long n = (long)ctx.get_data(StateSizeKey);
        bool initial = (bool)ctx.get_data(InitialKey);
        var width = (SimdWidth)ctx.get_data(WidthKey);
        long batch = x.shape[0], length = x.shape[1], heads = x.shape[2], dim = x.shape[3], groups = b.shape[2], padded = b.shape[3];

        var dOutput = FusedLayout.Float32OrZeros(gradOutputs[0], [batch, length, heads, dim]);
        var dFinal = FusedLayout.PadLast(FusedLayout.Float32OrZeros(gradOutputs.ElementAtOrDefault(1), [batch, heads, dim, n]), padded);
        var dx = empty([batch, length, heads, dim], ScalarType.Float32);
        var dDt = empty([batch, length, heads], ScalarType.Float32);
        var dh0 = empty([batch, heads, dim, padded], ScalarType.Float32);
        var dAPartial = empty([batch, heads], ScalarType.Float32);
        var dDPartial = empty([batch, heads], ScalarType.Float32);
        var dBiasPartial = empty([batch, heads], ScalarType.Float32);
        var dB = empty([batch, length, groups, padded], ScalarType.Float32);
        var dC = empty([batch, length, groups, padded], ScalarType.Float32);

        var p = new SsdScanBuffers
        {
            Batch = batch, Length = length, Heads = heads, HeadDim = dim, Groups = groups, StateSize = padded, Softplus = softplus,
        };
        unsafe
        {
            p.X = RowMath.Pointer(x); p.Dt = RowMath.Pointer(dt); p.A = RowMath.Pointer(a);
            p.B = RowMath.Pointer(b); p.C = RowMath.Pointer(c); p.D = RowMath.PointerOrNull(dSkip);
            p.Bias = RowMath.PointerOrNull(bias); p.Carries = RowMath.Pointer(carries);
            var g = new SsdScanGradients
            {
                DOutput = RowMath.Pointer(dOutput), DFinalStates = RowMath.Pointer(dFinal),
                DX = RowMath.Pointer(dx), DDt = RowMath.Pointer(dDt), DInitialStates = RowMath.Pointer(dh0),
                DAPartial = RowMath.Pointer(dAPartial), DDPartial = RowMath.Pointer(dDPartial),
                DBiasPartial = RowMath.Pointer(dBiasPartial), DB = RowMath.Pointer(dB), DC = RowMath.Pointer(dC),
            };
            SsdScanCpu.Backward(p, g, width);
        }

        var state = TensorIndex.Slice(0, n);
        return
        [
            dx, dDt, dAPartial.sum(dim: 0), dB[.., .., .., state], dC[.., .., .., state],
            dSkip is null ? null! : dDPartial.sum(dim: 0), bias is null ? null! : dBiasPartial.sum(dim: 0),
            initial ? dh0[.., .., .., state] : null!, null!, null!, null!,
        ];
    }
}
