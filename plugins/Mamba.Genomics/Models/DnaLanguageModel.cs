using Mamba.Core.Models;
using Mamba.Genomics.Tokens;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Genomics.Models;

/// <summary>
/// A single-nucleotide language model: the core <see cref="TokenModel"/> (causal, hybrid or bidirectional layers) or,
/// with <see cref="DnaModelSpec.ReverseComplementEquivariant"/>, the RCPS encoder. Token ids (B, L) → logits (B, L, vocab).
/// </summary>
public sealed class DnaLanguageModel : nn.Module<Tensor, Tensor>
{
    private readonly TokenModel? plain;
    private readonly ReverseComplementEncoder? rcps;

    /// <summary>Builds the model <paramref name="spec"/> describes (checked first).</summary>
    public DnaLanguageModel(DnaModelSpec spec) : base(nameof(DnaLanguageModel))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        if (spec.ReverseComplementEquivariant)
        {
            rcps = new ReverseComplementEncoder(spec.Backbone);
            register_module("rcps", rcps);
        }
        else
        {
            plain = new TokenModel(spec.Backbone);
            register_module("model", plain);
        }
    }

    /// <summary>The shape this model was built from.</summary>
    public DnaModelSpec Spec { get; }

    /// <summary>Width of <see cref="Features"/>.</summary>
    public long FeatureDim => Spec.ModelDim;

    /// <summary>The causal token model, for streaming (prefill/step); throws for a bidirectional model.</summary>
    public TokenModel Causal => Spec.Objective == Objective.Causal ? plain! :
        throw new InvalidOperationException($"a {Spec.Objective.ToString().ToLowerInvariant()} model sees both sides of every base; it cannot stream or generate");

    /// <summary>Token ids (B, L) → logits (B, L, vocab).</summary>
    public override Tensor forward(Tensor tokens)
    {
        if (plain is not null) return plain.forward(tokens);
        using var scope = NewDisposeScope();
        return rcps!.Logits(rcps.forward(tokens)).MoveToOuterDisposeScope();
    }

    /// <summary>Token ids (B, L) → per-position features (B, L, d); strand-invariant after pooling for an RCPS model.</summary>
    public Tensor Features(Tensor tokens)
    {
        if (plain is not null) return plain.Backbone.forward(tokens);
        using var scope = NewDisposeScope();
        return rcps!.Features(rcps.forward(tokens)).MoveToOuterDisposeScope();
    }

    /// <summary>Reverse complement of token ids (B, L) on the device: positions reversed, A↔T, C↔G.</summary>
    public static Tensor ReverseComplement(Tensor tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        using var scope = NewDisposeScope();
        var map = tensor(Enumerable.Range(0, NucleotideTokenizer.VocabularySize).Select(t => (long)NucleotideTokenizer.Complement(t)).ToArray(), device: tokens.device);
        return map[tokens.flip(-1)].MoveToOuterDisposeScope();
    }
}
