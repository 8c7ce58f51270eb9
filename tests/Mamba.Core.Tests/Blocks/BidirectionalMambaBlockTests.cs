using Mamba.Core.Blocks;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

public sealed class BidirectionalMambaBlockTests
{
    [Fact]
    public void Untied_directions_have_vision_mamba_names_and_share_the_projections()
    {
        using var block = new BidirectionalMambaBlock(16);

        var names = block.named_parameters().Select(p => p.name).Order().ToList();

        Assert.Equal(
            new[] { "A_b_log", "A_log", "D", "D_b", "conv1d.bias", "conv1d.weight", "conv1d_b.bias", "conv1d_b.weight",
                "dt_proj.bias", "dt_proj.weight", "dt_proj_b.bias", "dt_proj_b.weight", "in_proj.weight", "out_proj.weight",
                "x_proj.weight", "x_proj_b.weight" }.Order(),
            names);
    }

    [Fact]
    public void Tied_directions_commute_with_reversing_the_sequence()
    {
        random.manual_seed(6);
        using var block = new BidirectionalMambaBlock(16, tieDirections: true);
        using var noGrad = no_grad();
        var input = randn(2, 9, 16);

        var reversedThenMixed = block.forward(input.flip(1));
        var mixedThenReversed = block.forward(input).flip(1);

        Assert.True(RelativeError(reversedThenMixed, mixedThenReversed) < 1e-5, "block(flip(x)) != flip(block(x)) with tied directions");
    }

    [Fact]
    public void Swapping_the_directions_parameters_mirrors_the_block()
    {
        random.manual_seed(7);
        using var block = new BidirectionalMambaBlock(16);
        using var swapped = new BidirectionalMambaBlock(16);
        using var noGrad = no_grad();
        var state = block.state_dict();
        var mirrored = state.ToDictionary(kv => Mirror(kv.Key), kv => kv.Value);
        swapped.load_state_dict(mirrored);
        var input = randn(1, 8, 16);

        Assert.True(RelativeError(swapped.forward(input.flip(1)).flip(1), block.forward(input)) < 1e-5,
            "the backward direction is not the forward one run on the flipped sequence");
    }

    [Fact]
    public void Every_output_sees_the_whole_sequence_and_gradients_reach_every_parameter()
    {
        random.manual_seed(8);
        using var block = new BidirectionalMambaBlock(16);
        var input = randn(1, 10, 16);
        using (no_grad())
        {
            var changed = input.clone();
            changed[0, 9] = randn(16);
            Assert.False(block.forward(input)[0, 0].allclose(block.forward(changed)[0, 0]), "the first output ignores the last token");
        }

        GradientsReachEveryParameter(block, input);
    }

    private static string Mirror(string name) => name switch
    {
        "A_log" => "A_b_log",
        "A_b_log" => "A_log",
        "D" => "D_b",
        "D_b" => "D",
        _ when name.Contains("_b.", StringComparison.Ordinal) => name.Replace("_b.", ".", StringComparison.Ordinal),
        _ when name.StartsWith("in_proj", StringComparison.Ordinal) || name.StartsWith("out_proj", StringComparison.Ordinal) => name,
        _ => name.Replace(".", "_b.", StringComparison.Ordinal),
    };
}
