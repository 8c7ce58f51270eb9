using Mamba.Core.Blocks;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

public sealed class NormAndConvTests
{
    [Fact]
    public void RmsNorm_divides_by_the_root_mean_square()
    {
        using var norm = new RmsNorm(2, eps: 0);
        using var noGrad = no_grad();
        norm.Weight.copy_(tensor(new float[] { 1, 2 }));

        // x = (3, 4): rms = √((9 + 16) / 2) = √12.5.
        var y = norm.forward(tensor(new float[] { 3, 4 }));

        float rms = MathF.Sqrt(12.5f);
        Assert.Equal(new[] { 3 / rms, 2 * 4 / rms }, y.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Gated_norm_gates_with_silu_then_normalises_each_group()
    {
        using var norm = new GatedRmsNorm(4, groupSize: 2, eps: 0);
        using var noGrad = no_grad();
        var y = tensor(new float[] { 1, 2, 3, 4 });
        var z = tensor(new float[] { 0.5f, -1, 2, 0 });

        var result = norm.forward(y, z);

        var gated = y * nn.functional.silu(z);
        var first = gated[..2] / gated[..2].pow(2).mean().sqrt();
        var second = gated[2..] / gated[2..].pow(2).mean().sqrt();
        Assert.True(RelativeError(result, cat([first, second])) < 1e-6, "gated RMSNorm differs from the per-group formula");
    }

    [Fact]
    public void Causal_conv_steps_match_the_full_convolution()
    {
        random.manual_seed(9);
        using var conv = new CausalConv1d(6, 4);
        using var noGrad = no_grad();
        var x = randn(2, 6, 9);

        var full = conv.forward(x);
        var state = zeros(2, 6, 4);
        var steps = new List<Tensor>();
        for (long t = 0; t < 9; t++)
        {
            var (y, next) = conv.Step(state, x[.., .., t]);
            steps.Add(y);
            state = next;
        }

        Assert.True(RelativeError(stack(steps, dim: -1), full) < 1e-6, "conv steps differ from the full convolution");
        Assert.True(RelativeError(state, conv.StateAfter(x)) < 1e-7, "the stepped window differs from the prefill window");
    }

    [Fact]
    public void Causal_conv_prefill_in_two_pieces_equals_one_pass()
    {
        random.manual_seed(10);
        using var conv = new CausalConv1d(6, 4);
        using var noGrad = no_grad();
        var x = randn(2, 6, 13);

        var (whole, wholeWindow) = conv.Prefill(x, null, returnWindow: true);
        var (first, window) = conv.Prefill(x[.., .., ..5], null, returnWindow: true);
        var (second, secondWindow) = conv.Prefill(x[.., .., 5..], window, returnWindow: true);

        Assert.True(RelativeError(cat([first, second], dim: -1), whole) < 1e-6, "the continued convolution differs from one pass");
        Assert.True(RelativeError(secondWindow!, wholeWindow!) < 1e-7, "the window after two pieces differs from one pass");
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
