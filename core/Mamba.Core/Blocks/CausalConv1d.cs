using Mamba.Core.Scan.Cpu;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// Depthwise causal 1-D convolution: each channel sees only itself and the previous <c>kernel − 1</c> steps.
/// Parameters named as torch.nn.Conv1d's: <c>weight</c> (channels, 1, kernel) and <c>bias</c> (channels), initialised as
/// PyTorch does (uniform ±1/√kernel), so mamba_ssm weights load directly. On the CPU in float32, an input whose
/// channels are consecutive in memory (a transposed view of a (B, L, ·) projection, as the Mamba blocks pass) runs
/// through a fused time-major kernel (mamba_ssm's causal_conv1d, with the silu folded in) whose output is time-major
/// too; anything else runs through libtorch's conv1d.
/// </summary>
public sealed class CausalConv1d : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the convolution.</summary>
    public CausalConv1d(long channels, long kernel, bool bias = true) : base(nameof(CausalConv1d))
    {
        Channels = channels;
        Kernel = kernel;
        double bound = 1 / Math.Sqrt(kernel);
        Weight = new Parameter(empty(channels, 1, kernel).uniform_(-bound, bound));
        register_parameter("weight", Weight);
        if (bias)
        {
            Bias = new Parameter(empty(channels).uniform_(-bound, bound));
            register_parameter("bias", Bias);
        }
    }

    /// <summary>Number of channels.</summary>
    public long Channels { get; }

    /// <summary>Kernel width (mamba_ssm's d_conv).</summary>
    public long Kernel { get; }

    /// <summary>(channels, 1, kernel).</summary>
    public Parameter Weight { get; }

    /// <summary>(channels), or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>x (B, channels, L) → (B, channels, L).</summary>
    public override Tensor forward(Tensor x) => Convolve(x, silu: false);

    /// <summary>
    /// x (B, channels, L) continuing after <paramref name="window"/> (the <c>kernel</c> inputs before x, from
    /// <see cref="StateAfter"/> or <see cref="Step"/>; null for a sequence start) → the convolution of x, followed by
    /// silu when <paramref name="silu"/>, and, when <paramref name="returnWindow"/>, the window after x.
    /// </summary>
    public (Tensor Output, Tensor? Window) Prefill(Tensor x, Tensor? window, bool returnWindow, bool silu = false)
    {
        using var scope = NewDisposeScope();
        var input = window is null ? x : cat([window, x], dim: -1);
        var y = Convolve(input, silu);
        if (window is not null) y = y[.., .., (int)window.shape[^1]..];
        var next = returnWindow ? StateAfter(input).MoveToOuterDisposeScope() : null;
        return (y.MoveToOuterDisposeScope(), next);
    }

    private Tensor Convolve(Tensor x, bool silu)
    {
        if (CausalConvFunction.Accepts(x, Weight)) return CausalConvFunction.Run(x, Weight, Bias, silu, SimdWidths.Widest);
        long length = x.shape[^1];
        using var scope = NewDisposeScope();
        var y = nn.functional.conv1d(x, Weight, Bias, padding: Kernel - 1, groups: Channels)[.., .., ..(int)length];
        return (silu ? nn.functional.silu(y) : y).MoveToOuterDisposeScope();
    }

    /// <summary>The last <c>kernel</c> inputs of <paramref name="x"/> (B, channels, L), left-padded with zeros: the state after a prefill.</summary>
    public Tensor StateAfter(Tensor x)
    {
        long length = x.shape[^1];
        return length >= Kernel
            ? x[.., .., (int)(length - Kernel)..].contiguous()
            : nn.functional.pad(x, [Kernel - length, 0]);
    }

    /// <summary>
    /// One streaming step: shifts <paramref name="state"/> (B, channels, kernel) left, appends <paramref name="x"/> (B, channels)
    /// and returns the convolution at the newest position with the new state.
    /// </summary>
    public (Tensor Output, Tensor State) Step(Tensor state, Tensor x)
    {
        using var scope = NewDisposeScope();
        var next = cat([state[.., .., 1..], x.unsqueeze(-1)], dim: -1);
        var y = (next * Weight.squeeze(1)).sum(-1);
        if (Bias is not null) y = y + Bias;
        return (y.MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope());
    }
}
