using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Ecg.Models;

/// <summary>
/// A strided 1-D convolution computed as patches times a matrix (im2col + GEMM) rather than through libtorch's
/// convolution. On multi-core AVX-512 CPUs the oneDNN convolution in libtorch 2.10 (TorchSharp-cpu 0.107) sometimes
/// returns NaN for finite inputs — a process-wide state that plain tensor code reproduces (docs/results/ecg.md,
/// "Why the front end does not use conv1d") — so the ECG front end stays on the matrix-multiply path, which is exact
/// and unaffected. Same parameters, shapes and initialisation as <c>nn.Conv1d</c> with zero padding.
/// </summary>
public sealed class UnfoldedConv1d : nn.Module<Tensor, Tensor>
{
    private readonly long kernel, stride, padding;
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Weight (out, in, kernel) and bias (out), initialised like <c>nn.Conv1d</c>.</summary>
    public UnfoldedConv1d(long inChannels, long outChannels, long kernel, long stride, long padding) : base(nameof(UnfoldedConv1d))
    {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        weight = new Parameter(empty(outChannels, inChannels, kernel));
        bias = new Parameter(empty(outChannels));
        // PyTorch's Conv1d default: kaiming_uniform(a = √5) on the weight, U(±1/√fan_in) on the bias.
        double bound = 1 / Math.Sqrt(inChannels * kernel);
        using (no_grad())
        {
            nn.init.uniform_(weight, -bound, bound);
            nn.init.uniform_(bias, -bound, bound);
        }
        RegisterComponents();
    }

    /// <summary>(B, in, T) → (B, out, ⌊(T + 2·padding − kernel) / stride⌋ + 1).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var patches = nn.functional.pad(input, [padding, padding])
            .unfold(2, kernel, stride)                                  // (B, in, T', kernel)
            .permute(0, 2, 1, 3)
            .flatten(2);                                                // (B, T', in·kernel)
        var output = patches.matmul(weight.flatten(1).t()) + bias;      // (B, T', out)
        return output.transpose(1, 2).MoveToOuterDisposeScope();
    }
}
