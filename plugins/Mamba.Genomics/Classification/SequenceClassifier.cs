using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Genomics.Classification;

/// <summary>
/// A sequence classifier on a DNA language model: per-position features, mean-pooled over the bases (padding
/// excluded), dropout, a linear head. With <c>rcConjoin</c> (Caduceus' post-hoc conjoining) the logits of a
/// sequence and of its reverse complement are averaged, making a non-RCPS model strand-invariant.
/// Token ids (B, L), padded with <see cref="NucleotideTokenizer.Pad"/> → logits (B, classes).
/// </summary>
public sealed class SequenceClassifier : nn.Module<Tensor, Tensor>
{
    private readonly DnaLanguageModel encoder;
    private readonly Dropout dropout;
    private readonly Linear head;
    private readonly bool rcConjoin;

    /// <summary>Wraps <paramref name="encoder"/> (pretrained or new) with a head for <paramref name="classes"/> classes.</summary>
    public SequenceClassifier(DnaLanguageModel encoder, int classes, double dropout, bool rcConjoin) : base(nameof(SequenceClassifier))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        this.encoder = encoder;
        this.dropout = nn.Dropout(dropout);
        head = nn.Linear(encoder.FeatureDim, classes);
        this.rcConjoin = rcConjoin;
        register_module("encoder", encoder);
        register_module("dropout", this.dropout);
        register_module("head", head);
    }

    /// <summary>The language model underneath.</summary>
    public DnaLanguageModel Encoder => encoder;

    /// <summary>Token ids (B, L) → logits (B, classes).</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var logits = head.forward(dropout.forward(Pool(tokens)));
        if (rcConjoin)
        {
            // The reverse complement of a right-padded row is left-padded; the pooled mean ignores padding either way.
            logits = (logits + head.forward(dropout.forward(Pool(DnaLanguageModel.ReverseComplement(tokens))))) / 2;
        }
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Mean of the per-position features over non-padding positions: (B, L) → (B, d).</summary>
    public Tensor Pool(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var features = encoder.Features(tokens);                                             // (B, L, d)
        var present = (tokens != NucleotideTokenizer.Pad).unsqueeze(-1).to_type(features.dtype);   // (B, L, 1)
        return ((features * present).sum(1) / present.sum(1).clamp_min(1)).MoveToOuterDisposeScope();
    }
}
