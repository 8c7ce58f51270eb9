using Mamba.Core.Blocks;
using Mamba.Core.Models;
using TorchSharp;
using static Mamba.Core.Tests.Blocks.BlockAssertions;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Models;

public sealed class BackboneTests
{
    private static BackboneOptions Hybrid(long? vocab = 12) => new()
    {
        ModelDim = 16,
        Layers = "M1,M2,A",
        VocabSize = vocab,
        Mamba1 = new MambaBlockOptions { StateSize = 8 },
        Mamba2 = new Mamba2BlockOptions { StateSize = 16, HeadDim = 8, ChunkSize = 8 },
        AttentionHeads = 4,
        AttentionKvHeads = 2,
    };

    [Fact]
    public void Token_model_parameters_follow_mamba_ssm_naming()
    {
        using var model = new TokenModel(Hybrid());

        var names = model.named_parameters().Select(p => p.name).ToHashSet();

        Assert.Contains("backbone.embedding.weight", names);
        Assert.Contains("backbone.layers.0.norm.weight", names);
        Assert.Contains("backbone.layers.0.mixer.in_proj.weight", names);
        Assert.Contains("backbone.layers.0.mixer.dt_proj.bias", names);
        Assert.Contains("backbone.layers.1.mixer.A_log", names);
        Assert.Contains("backbone.layers.1.mixer.norm.weight", names);
        Assert.Contains("backbone.layers.2.mixer.in_proj.weight", names);
        Assert.Contains("backbone.norm_f.weight", names);
    }

    [Fact]
    public void Initialisation_scales_out_projections_and_embeds_with_std_0_02()
    {
        random.manual_seed(12);
        var options = new BackboneOptions { ModelDim = 64, Layers = BackboneOptions.Repeat("M1", 16), VocabSize = 1000, Mamba1 = new MambaBlockOptions { StateSize = 4 } };
        using var model = new TokenModel(options);
        using var plain = new MambaBlock(64, options.Mamba1);

        Assert.InRange(model.Backbone.Embedding!.weight!.std().item<float>(), 0.019f, 0.021f);
        // Linear's default init has std 1/√(3·fan_in); the backbone divides out_proj by √layers = 4.
        float scaled = ((MambaBlock)model.Backbone.Layers[0].Mixer).OutProj.weight!.std().item<float>();
        float unscaled = plain.OutProj.weight!.std().item<float>();
        Assert.InRange(scaled / unscaled, 0.22f, 0.28f);
    }

    [Fact]
    public void Layers_with_an_mlp_add_norm2_and_gated_mlp_under_mamba_ssm_names_and_scale_fc2_with_out_proj()
    {
        random.manual_seed(16);
        var options = new BackboneOptions { ModelDim = 64, Layers = BackboneOptions.Repeat("A", 8), VocabSize = 100, MlpDim = 150, AttentionHeads = 4 };
        using var model = new TokenModel(options);
        using var plain = new GatedMlp(64, 150);

        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        var mlp = model.Backbone.Layers[0].Mlp!;

        Assert.Contains("backbone.layers.3.norm2.weight", names);
        Assert.Contains("backbone.layers.3.mlp.fc1.weight", names);
        Assert.Contains("backbone.layers.3.mlp.fc2.weight", names);
        Assert.Equal(256, mlp.HiddenDim);                                               // 150 rounded up to a multiple of 128
        Assert.Equal([512, 64], mlp.Fc1.weight!.shape);
        // Two residual branches per layer: fc2 (like out_proj) is divided by √(2 · 8) = 4.
        Assert.InRange(mlp.Fc2.weight!.std().item<float>() / plain.Fc2.weight!.std().item<float>(), 0.22f, 0.28f);
        Assert.DoesNotContain(new TokenModel(Hybrid()).named_parameters(), p => p.name.Contains("mlp", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    public void Token_model_steps_match_the_full_forward_across_a_hybrid_stack(long mlpDim)
    {
        random.manual_seed(13);
        using var model = new TokenModel(Hybrid() with { MlpDim = mlpDim });
        using var noGrad = no_grad();
        var tokens = randint(0, 12, [2, 10]);

        var full = model.forward(tokens);
        var (prompt, state) = model.Prefill(tokens[.., ..4]);
        var logits = new List<Tensor> { prompt };
        for (long t = 4; t < 10; t++)
        {
            var (next, advanced) = model.Step(tokens[.., t], state);
            logits.Add(next.unsqueeze(1));
            state = advanced;
        }

        Assert.True(RelativeError(cat(logits, dim: 1), full) < 1e-5, "prefill + steps differ from the full forward");
    }

    [Fact]
    public void A_step_runs_under_the_step_thread_policy_and_leaves_libtorchs_setting_as_it_found_it()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var model = new TokenModel(Hybrid());
        model.eval();
        using var noGrad = no_grad();
        var tokens = randint(12, [2, 5]);
        var (_, state) = model.Prefill(tokens);
        int before = get_num_threads(), saved = StepThreads.Count;
        try
        {
            set_num_threads(2);
            StepThreads.Count = 1;
            var (one, _) = model.Step(tokens[.., 0], state);
            Assert.Equal(2, get_num_threads());
            StepThreads.Count = 0;
            var (own, _) = model.Step(tokens[.., 0], state);
            Assert.Equal(2, get_num_threads());
            Assert.True(RelativeError(one, own) <= 1e-5, $"a step under one thread differs from one under libtorch's setting by {RelativeError(one, own):E2}");
        }
        finally
        {
            StepThreads.Count = saved;
            set_num_threads(before);
        }
    }

    [Fact]
    public void A_saved_state_continues_the_stream_in_a_fresh_model_instance()
    {
        random.manual_seed(14);
        using var model = new SequenceEncoder(5, Hybrid(vocab: null));
        using var noGrad = no_grad();
        var input = randn(1, 8, 5);
        var full = model.forward(input);

        var (_, state) = model.Prefill(input[.., ..5]);
        byte[] saved = state.ToBytes();
        using var restored = model.Backbone.RestoreState(saved);
        var outputs = new List<Tensor>();
        var current = restored;
        for (long t = 5; t < 8; t++)
        {
            var (y, next) = model.Step(input[.., t], current);
            outputs.Add(y);
            current = next;
        }

        Assert.True(RelativeError(stack(outputs, dim: 1), full[.., 5..]) < 1e-5, "the restored stream diverged");
    }

    [Fact]
    public void A_state_from_another_architecture_is_rejected_by_layer()
    {
        using var hybrid = new SequenceEncoder(5, Hybrid(vocab: null));
        using var pure = new SequenceEncoder(5, Hybrid(vocab: null) with { Layers = "M1,M1,M1" });
        using var state = pure.Backbone.NewState(1);

        var error = Assert.Throws<ArgumentException>(() => hybrid.Backbone.RestoreState(state.ToBytes()));

        Assert.Contains("layer 1 (Mamba2)", error.Message);
    }

    [Fact]
    public void Gradients_reach_every_parameter_of_a_bidirectional_encoder()
    {
        random.manual_seed(15);
        using var model = new SequenceEncoder(3, Hybrid(vocab: null) with { Layers = "BM,BA" });

        GradientsReachEveryParameter(model, randn(2, 6, 3));
        Assert.Throws<InvalidOperationException>(() => model.Backbone.NewState(1));
    }

    [Fact]
    public void Unknown_layer_kinds_are_named()
    {
        var error = Assert.Throws<ArgumentException>(() => Hybrid() with { Layers = "M1,X" } is { } o ? o.LayerKinds : null);

        Assert.Contains("layer 1 is 'X'", error.Message);
    }
}
