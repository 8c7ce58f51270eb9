using Mamba.Core.Scan;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Models;

/// <summary>
/// A language model over tokens (mamba_ssm's <c>MambaLMHeadModel</c>): <c>backbone</c> (embedding, layers, final norm)
/// and an LM head tied to the embedding. Token ids (B, L) → logits (B, L, vocab).
/// The head is computed from the embedding matrix rather than registered twice, so optimisers see each weight once;
/// a checkpoint's <c>lm_head.weight</c> is therefore redundant and ignored on load.
/// </summary>
public sealed class TokenModel : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the model; <paramref name="options"/> must name a vocabulary size.</summary>
    public TokenModel(BackboneOptions options, ScanKernelRegistry? kernels = null) : base(nameof(TokenModel))
    {
        if (options.VocabSize is null) throw new ArgumentException("A token model needs VocabSize.", nameof(options));
        Backbone = new ResidualBackbone(options, kernels);
        register_module("backbone", Backbone);
    }

    /// <summary>Embedding, layers and final norm.</summary>
    public ResidualBackbone Backbone { get; }

    /// <summary>Token ids (B, L) → logits (B, L, vocab).</summary>
    public override Tensor forward(Tensor tokens) => Logits(Backbone.forward(tokens));

    /// <summary>Logits of a prompt (B, L), and the state to continue from.</summary>
    public (Tensor Logits, BackboneState State) Prefill(Tensor tokens, BackboneState? initial = null)
    {
        var (hidden, state) = Backbone.Prefill(tokens, initial);
        return (Logits(hidden), state);
    }

    /// <summary>Logits (B, vocab) for one more token per stream (B), and the advanced state.</summary>
    public (Tensor Logits, BackboneState State) Step(Tensor token, BackboneState state)
    {
        using var threads = StepThreads.Enter(token.shape[0]);
        var (hidden, next) = Backbone.Step(token, state);
        return (Logits(hidden), next);
    }

    private Tensor Logits(Tensor hidden) => nn.functional.linear(hidden, Backbone.Embedding!.weight!);
}

/// <summary>
/// A sequence encoder for continuous inputs (time series, signals, features): <c>in_proj</c> maps each step's features to
/// d_model, then the residual backbone. (B, L, features) → (B, L, d_model).
/// </summary>
public sealed class SequenceEncoder : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the encoder; <paramref name="options"/> must not name a vocabulary.</summary>
    public SequenceEncoder(long features, BackboneOptions options, ScanKernelRegistry? kernels = null) : base(nameof(SequenceEncoder))
    {
        if (options.VocabSize is not null) throw new ArgumentException("A continuous-input encoder has no vocabulary; use TokenModel.", nameof(options));
        InProj = nn.Linear(features, options.ModelDim);
        Backbone = new ResidualBackbone(options, kernels);
        register_module("in_proj", InProj);
        register_module("backbone", Backbone);
    }

    /// <summary>features → d_model.</summary>
    public TorchSharp.Modules.Linear InProj { get; }

    /// <summary>Layers and final norm.</summary>
    public ResidualBackbone Backbone { get; }

    /// <summary>(B, L, features) → (B, L, d_model).</summary>
    public override Tensor forward(Tensor input) => Backbone.forward(InProj.forward(input));

    /// <summary>Encodes a prefix and returns the state to continue from.</summary>
    public (Tensor Output, BackboneState State) Prefill(Tensor input, BackboneState? initial = null) =>
        Backbone.Prefill(InProj.forward(input), initial);

    /// <summary>One step (B, features) → (B, d_model).</summary>
    public (Tensor Output, BackboneState State) Step(Tensor input, BackboneState state)
    {
        using var threads = StepThreads.Enter(input.shape[0]);
        return Backbone.Step(InProj.forward(input), state);
    }
}
