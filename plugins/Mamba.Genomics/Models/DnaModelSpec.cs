using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Genomics.Tokens;

namespace Mamba.Genomics.Models;

/// <summary>What a DNA language model learns to predict.</summary>
public enum Objective
{
    /// <summary>Next base from the bases before it (causal layers: M1, M2, A); streams through a recurrent state.</summary>
    Causal,

    /// <summary>Masked bases from both sides (bidirectional layers: BM, BA), BERT-style 15 % masking.</summary>
    Masked,
}

/// <summary>
/// The shape of a DNA language model, saved as its config. <see cref="Layers"/> uses the core's layer names:
/// <c>M1,M1,M1,M1</c> (pure Mamba-1), <c>M2,M2,M2,A</c> repeated (a HybriDNA-style hybrid: mostly Mamba-2, every fourth
/// layer attention), <c>BM,BM</c> (Caduceus-style bidirectional).
/// </summary>
public sealed record DnaModelSpec(Objective Objective, string Layers, int ModelDim, int StateSize, int AttentionHeads, bool ReverseComplementEquivariant)
{
    /// <summary>Checks that the layers fit the objective; throws <see cref="ArgumentException"/> naming the problem.</summary>
    public void Validate()
    {
        var kinds = new BackboneOptions { ModelDim = ModelDim, Layers = Layers }.LayerKinds;
        bool causal = kinds.All(k => k is LayerKind.Mamba1 or LayerKind.Mamba2 or LayerKind.Attention);
        bool bidirectional = kinds.All(k => k is LayerKind.BidirectionalMamba or LayerKind.BidirectionalAttention);
        if (Objective == Objective.Causal && !causal)
            throw new ArgumentException($"layers '{Layers}': a causal model takes M1, M2 and A layers only");
        if (Objective == Objective.Masked && !bidirectional)
            throw new ArgumentException($"layers '{Layers}': a masked model takes BM and BA layers only");
        if (ReverseComplementEquivariant && Objective != Objective.Masked)
            throw new ArgumentException("reverse-complement equivariance (RCPS) is built for the bidirectional, masked model");
        if (kinds.Any(k => k is LayerKind.Attention or LayerKind.BidirectionalAttention) && ModelDim % AttentionHeads != 0)
            throw new ArgumentException($"modelDim {ModelDim} must be a multiple of attentionHeads {AttentionHeads}");
    }

    /// <summary>
    /// The core backbone options for these layers over the nucleotide vocabulary. Mamba-2 layers get 4× the state size
    /// (their state is shared across a head, as in mamba_ssm's defaults of 16 vs 64–128) and 32-wide heads, so that a
    /// small model still has several heads.
    /// </summary>
    public BackboneOptions Backbone => new()
    {
        ModelDim = ModelDim,
        Layers = Layers,
        VocabSize = NucleotideTokenizer.VocabularySize,
        Mamba1 = new MambaBlockOptions { StateSize = StateSize },
        Mamba2 = new Mamba2BlockOptions { StateSize = 4 * StateSize, HeadDim = 32 },
        AttentionHeads = AttentionHeads,
    };
}
