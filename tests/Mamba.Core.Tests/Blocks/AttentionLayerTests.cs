using Mamba.Core.Blocks;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

public sealed class AttentionLayerTests
{
    [Fact]
    public void Causal_attention_matches_explicit_masked_softmax()
    {
        random.manual_seed(10);
        using var layer = new AttentionLayer(16, heads: 4, kvHeads: 2);
        using var noGrad = no_grad();
        var x = randn(2, 7, 16);

        var parts = layer.InProj.forward(x).split([16, 8, 8], dim: -1);
        var q = parts[0].view(2, 7, 4, 4).transpose(1, 2);
        var k = parts[1].view(2, 7, 2, 4).transpose(1, 2).repeat_interleave(2, dim: 1);
        var v = parts[2].view(2, 7, 2, 4).transpose(1, 2).repeat_interleave(2, dim: 1);
        var scores = q.matmul(k.transpose(-1, -2)) / 2.0;                                   // √head_dim = 2
        scores = scores.masked_fill(ones(7, 7, ScalarType.Bool).triu(1), double.NegativeInfinity);
        var expected = layer.OutProj.forward(scores.softmax(-1).matmul(v).transpose(1, 2).reshape(2, 7, 16));

        Assert.True(RelativeError(layer.forward(x), expected) < 1e-5, "attention differs from softmax(QKᵀ/√d + causal mask)V");
    }

    [Fact]
    public void Step_with_a_key_value_cache_matches_full_sequence_forward()
    {
        random.manual_seed(11);
        using var layer = new AttentionLayer(16, heads: 4, kvHeads: 2);

        StepMatchesForward(layer, randn(2, 9, 16));
        PrefillThenStepsMatchForward(layer, randn(2, 9, 16), prompt: 4);
    }

    [Fact]
    public void A_non_causal_layer_refuses_to_stream()
    {
        using var layer = new AttentionLayer(16, heads: 4, causal: false);

        var error = Assert.Throws<InvalidOperationException>(() => layer.NewState(1).Dispose());
        Assert.Contains("non-causal", error.Message);
    }
}
