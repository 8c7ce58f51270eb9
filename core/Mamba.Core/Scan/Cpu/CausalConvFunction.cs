using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Autograd wiring of <see cref="CausalConvCpu"/>. Arguments: x (B, C, L) float32 with consecutive channels, weight
/// (C, 1, K), bias (C)?, silu, SIMD width, differentiable (only then is anything kept for the backward pass).
/// Output (B, C, L), time-major in memory: a transposed view of a contiguous (B, L, C) tensor.
/// </summary>
internal sealed class CausalConvFunction : autograd.MultiTensorFunction<CausalConvFunction>
{
    private const string SiluKey = "silu", WidthKey = "width", BiasKey = "bias";

    public override string Name => "MambaCausalConv1d";

    /// <summary>Whether the kernel runs on <paramref name="x"/>: float32 CPU data with channels consecutive in memory and vectors the processor accelerates.</summary>
    public static bool Accepts(Tensor x, Tensor weight) =>
        x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32
        && weight.dtype == ScalarType.Float32 && x.dim() == 3 && x.stride(1) == 1 && SimdWidths.IsAccelerated(SimdWidths.Widest);

    /// <summary>act(conv(x) + bias) for x (B, C, L), through autograd when anything needs a gradient.</summary>
    public static Tensor Run(Tensor x, Tensor weight, Tensor? bias, bool silu, SimdWidth width)
    {
        return apply(x, weight, bias!, silu, width, FusedLayout.NeedsGradient(x, weight, bias))[0];
    }

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (x0, weight0, bias0) = ((Tensor)vars[0], (Tensor)vars[1], vars[2] as Tensor);
        bool silu = (bool)vars[3], differentiable = (bool)vars[5];
        var width = (SimdWidth)vars[4];
        long batch = x0.shape[0], channels = x0.shape[1], length = x0.shape[2];

        ctx.set_materialize_grads(false);
        using var scope = NewDisposeScope();
        var x = x0.alias();
        var weight = weight0.squeeze(1).t().contiguous();                            // (K, C)
        var bias = bias0?.contiguous();
        var output = empty([batch, length, channels], ScalarType.Float32);
        unsafe
        {
            var p = Buffers(x, weight, bias, silu);
            p.Output = RowMath.Pointer(output);
            CausalConvCpu.Forward(p, width);
        }

        if (differentiable)
        {
            FusedLayout.SaveForBackward(ctx, x, weight, bias);
            ctx.save_data(SiluKey, silu);
            ctx.save_data(WidthKey, width);
            ctx.save_data(BiasKey, bias is not null);
        }
        return [output.transpose(1, 2).MoveToOuterDisposeScope()];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var saved = ctx.get_saved_variables();
        var (x, weight) = (saved[0], saved[1]);
        var bias = (bool)ctx.get_data(BiasKey) ? saved[2] : null;
        bool silu = (bool)ctx.get_data(SiluKey);
        var width = (SimdWidth)ctx.get_data(WidthKey);
        long batch = x.shape[0], channels = x.shape[1], length = x.shape[2], kernel = weight.shape[0];

        var grad = gradOutputs[0];
        var dOutput = grad is null || grad.IsInvalid ? zeros([batch, length, channels]) : FusedLayout.Float32(grad.transpose(1, 2)); // (B, L, C)
        var dx = empty([batch, length, channels], ScalarType.Float32);
        Tensor dWeightPartial, dBiasPartial;
        unsafe
        {
            var p = Buffers(x, weight, bias, silu);
            dWeightPartial = empty([p.Tasks, kernel, channels], ScalarType.Float32);
            dBiasPartial = empty([p.Tasks, channels], ScalarType.Float32);
            var g = new CausalConvGradients
            {
                DOutput = RowMath.Pointer(dOutput), DX = RowMath.Pointer(dx),
                DWeightPartial = RowMath.Pointer(dWeightPartial), DBiasPartial = RowMath.Pointer(dBiasPartial),
            };
            CausalConvCpu.Backward(p, g, width);
        }
        var dWeight = dWeightPartial.sum(dim: 0).t().unsqueeze(1).contiguous();     // (C, 1, K)
        return [dx.transpose(1, 2), dWeight, bias is null ? null! : dBiasPartial.sum(dim: 0), null!, null!, null!];
    }

    private static unsafe CausalConvBuffers Buffers(Tensor x, Tensor weightT, Tensor? bias, bool silu) => new()
    {
        Batch = x.shape[0], Channels = x.shape[1], Length = x.shape[2], Kernel = weightT.shape[0],
        XBatchStride = x.stride(0), XTimeStride = x.stride(2), Silu = silu,
        X = RowMath.ViewPointer(x), Weight = RowMath.Pointer(weightT), Bias = RowMath.PointerOrNull(bias),
    };
}
