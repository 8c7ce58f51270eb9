using Mamba.Core.Blocks;
using Mamba.Core.Scan.Cpu;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

public sealed class MambaBlockTests
{
    [Fact]
    public void Parameters_carry_mamba_ssm_state_dict_names_and_shapes()
    {
        using var block = new MambaBlock(32);

        var shapes = block.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);

        // d_model 32, E = 64, N = 16, R = ceil(32/16) = 2, d_conv 4.
        Assert.Equal(new Dictionary<string, long[]>
        {
            ["in_proj.weight"] = [128, 32],
            ["conv1d.weight"] = [64, 1, 4],
            ["conv1d.bias"] = [64],
            ["x_proj.weight"] = [2 + 32, 64],
            ["dt_proj.weight"] = [64, 2],
            ["dt_proj.bias"] = [64],
            ["A_log"] = [64, 16],
            ["D"] = [64],
            ["out_proj.weight"] = [32, 64],
        }, shapes);
    }

    [Fact]
    public void Initialisation_follows_mamba_ssm()
    {
        random.manual_seed(1);
        using var block = new MambaBlock(64);
        using var scope = NewDisposeScope();

        // S4D-real: A = −(1…N) for every channel.
        var expectedA = -arange(1, 17, ScalarType.Float32).repeat(128, 1);
        Assert.True(RelativeError(-block.Ssm.ALog.exp(), expectedA) < 1e-6, "A is not S4D-real");
        Assert.Equal(128, block.Ssm.D.eq(1).sum().item<long>());
        // Δ = softplus(dt bias) is log-uniform in [0.001, 0.1]: its log has the uniform's mean and range.
        var dt = nn.functional.softplus(block.Ssm.DtProj.bias!);
        Assert.InRange(dt.min().item<float>(), 0.001f * 0.999f, 0.1f);
        Assert.InRange(dt.max().item<float>(), 0.001f, 0.1f * 1.001f);
        Assert.InRange(dt.log().mean().item<float>(), (float)((Math.Log(0.001) + Math.Log(0.1)) / 2 - 0.4), (float)((Math.Log(0.001) + Math.Log(0.1)) / 2 + 0.4));
        Assert.True(block.Ssm.DtProj.weight!.abs().max().item<float>() <= Math.Pow(4, -0.5), "dt_proj weight beyond ±R^-1/2");
        Assert.True(SsmInit.IsExemptFromWeightDecay(block.Ssm.ALog));
        Assert.True(SsmInit.IsExemptFromWeightDecay(block.Ssm.D));
        Assert.True(SsmInit.IsExemptFromWeightDecay(block.Ssm.DtProj.bias!));
        Assert.False(SsmInit.IsExemptFromWeightDecay(block.InProj.weight!));
    }

    [Fact]
    public void Forward_keeps_the_shape_and_gradients_reach_every_parameter()
    {
        random.manual_seed(2);
        using var block = new MambaBlock(16, new MambaBlockOptions { StateSize = 8 });
        var input = randn(2, 11, 16);

        Assert.Equal([2, 11, 16], block.forward(input).shape);
        GradientsReachEveryParameter(block, input);
    }

    [Fact]
    public void Step_matches_full_sequence_forward()
    {
        random.manual_seed(3);
        using var block = new MambaBlock(16);

        StepMatchesForward(block, randn(2, 13, 16));
    }

    [Theory]
    [InlineData(1, 16, 4, true)]
    [InlineData(3, 24, 3, false)]
    public void The_fused_cpu_step_matches_the_libtorch_step_over_several_tokens(long batch, long modelDim, int convKernel, bool bias)
    {
        random.manual_seed(6);
        // StateSize 20 leaves a tail after every vector width; d_model 24 gives x_proj and dt_proj rows off the vector width too.
        using var block = new MambaBlock(modelDim, new MambaBlockOptions { StateSize = 20, ConvKernel = convKernel, Bias = bias });
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (_, prefilled) = block.Prefill(randn(batch, 5, modelDim), null);
        LayerState fused = prefilled, plain = prefilled;
        bool saved = MambaBlock.FusedCpuStep;
        try
        {
            for (int t = 0; t < 4; t++)
            {
                var token = randn(batch, modelDim);
                MambaBlock.FusedCpuStep = true;
                // The block hands a batch above MambaStepCpu.MaxBatch to libtorch; the fused kernel itself takes any batch.
                var (fusedOut, fusedNext) = batch <= MambaStepCpu.MaxBatch
                    ? block.Step(token, fused)
                    : MambaStepCpu.Step(block, token, (MambaState)fused);
                MambaBlock.FusedCpuStep = false;
                var (plainOut, plainNext) = block.Step(token, plain);
                Assert.True(RelativeError(fusedOut, plainOut) <= 1e-5, $"token {t}: the fused output differs by {RelativeError(fusedOut, plainOut):E2}");
                var (f, p) = ((MambaState)fusedNext, (MambaState)plainNext);
                Assert.True(RelativeError(f.Ssm, p.Ssm) <= 1e-5, $"token {t}: the SSM state differs by {RelativeError(f.Ssm, p.Ssm):E2}");
                Assert.True(RelativeError(f.Conv, p.Conv) <= 1e-5, $"token {t}: the conv window differs by {RelativeError(f.Conv, p.Conv):E2}");
                (fused, plain) = (fusedNext, plainNext);
            }
        }
        finally
        {
            MambaBlock.FusedCpuStep = saved;
        }
    }

    [Fact]
    public void Prefill_then_steps_match_full_sequence_forward()
    {
        random.manual_seed(4);
        using var block = new MambaBlock(16);

        PrefillThenStepsMatchForward(block, randn(2, 20, 16), prompt: 9);
        PrefillThenStepsMatchForward(block, randn(1, 6, 16), prompt: 2);
    }

    [Fact]
    public void Output_is_causal()
    {
        random.manual_seed(5);
        using var block = new MambaBlock(16);
        using var noGrad = no_grad();
        var input = randn(1, 10, 16);
        var changed = input.clone();
        changed[0, 7] = randn(16);

        var before = block.forward(input);
        var after = block.forward(changed);

        Assert.True(before[.., ..7].allclose(after[.., ..7]), "a change at step 7 altered earlier outputs");
        Assert.False(before[.., 7..].allclose(after[.., 7..]), "a change at step 7 altered nothing after it");
    }
}
