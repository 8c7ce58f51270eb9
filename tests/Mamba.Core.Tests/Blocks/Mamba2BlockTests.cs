using Mamba.Core.Blocks;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

public sealed class Mamba2BlockTests
{
    private static readonly Mamba2BlockOptions Small = new() { StateSize = 16, HeadDim = 8, Groups = 2, ChunkSize = 8 };

    [Fact]
    public void Parameters_carry_mamba_ssm_state_dict_names_and_shapes()
    {
        using var block = new Mamba2Block(32, Small);

        var shapes = block.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        // d_model 32: inner 64, 8 heads of 8, 2 groups of N = 16; in_proj gives z, x (64 each), B, C (32 each), dt (8).
        Assert.Equal(new Dictionary<string, long[]>
        {
            ["in_proj.weight"] = [64 + 64 + 32 + 32 + 8, 32],
            ["conv1d.weight"] = [64 + 64, 1, 4],
            ["conv1d.bias"] = [128],
            ["dt_bias"] = [8],
            ["A_log"] = [8],
            ["D"] = [8],
            ["norm.weight"] = [64],
            ["out_proj.weight"] = [32, 64],
        }, shapes);
    }

    [Fact]
    public void Initialisation_follows_mamba_ssm()
    {
        random.manual_seed(1);
        using var block = new Mamba2Block(256, new Mamba2BlockOptions { StateSize = 16 });

        var a = -block.ALog.exp();
        Assert.InRange(a.min().item<float>(), -16f, -1f);
        Assert.InRange(a.max().item<float>(), -16f, -1f);
        var dt = nn.functional.softplus(block.DtBias);
        Assert.InRange(dt.min().item<float>(), 0.001f * 0.999f, 0.1f * 1.001f);
        Assert.InRange(dt.max().item<float>(), 0.001f * 0.999f, 0.1f * 1.001f);
        Assert.Equal(block.Heads, block.D.eq(1).sum().item<long>());
        Assert.True(SsmInit.IsExemptFromWeightDecay(block.DtBias));
    }

    [Fact]
    public void Forward_keeps_the_shape_and_gradients_reach_every_parameter()
    {
        random.manual_seed(2);
        using var block = new Mamba2Block(32, Small);
        var input = randn(2, 19, 32);

        Assert.Equal([2, 19, 32], block.forward(input).shape);
        GradientsReachEveryParameter(block, input);
    }

    [Fact]
    public void Step_matches_full_sequence_forward()
    {
        random.manual_seed(3);
        using var block = new Mamba2Block(32, Small);

        StepMatchesForward(block, randn(2, 13, 32));
    }

    [Fact]
    public void Prefill_then_steps_match_full_sequence_forward()
    {
        random.manual_seed(4);
        using var block = new Mamba2Block(32, Small);

        PrefillThenStepsMatchForward(block, randn(2, 21, 32), prompt: 10);
    }
}
