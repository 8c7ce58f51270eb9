using Mamba.Core.Blocks;

namespace Mamba.Core.Models;

/// <summary>
/// The shape of a residual backbone, serialisable as the model config saved beside the weights.
/// <see cref="Layers"/> names one mixer per layer, comma-separated: <c>M1</c> Mamba-1, <c>M2</c> Mamba-2,
/// <c>A</c> causal attention, <c>BM</c> bidirectional Mamba-1, <c>BA</c> non-causal attention; for example
/// <c>"M2,M2,M2,A"</c> is a HybriDNA-style hybrid.
/// </summary>
public sealed record BackboneOptions
{
    /// <summary>d_model.</summary>
    public required long ModelDim { get; init; }

    /// <summary>One mixer kind per layer, comma-separated.</summary>
    public required string Layers { get; init; }

    /// <summary>Vocabulary size of a token model's embedding; null for a continuous-input encoder.</summary>
    public long? VocabSize { get; init; }

    /// <summary>Options of the Mamba-1 layers (and of bidirectional ones).</summary>
    public MambaBlockOptions Mamba1 { get; init; } = new();

    /// <summary>Options of the Mamba-2 layers.</summary>
    public Mamba2BlockOptions Mamba2 { get; init; } = new();

    /// <summary>Query heads of the attention layers.</summary>
    public long AttentionHeads { get; init; } = 8;

    /// <summary>Key/value heads of the attention layers (grouped-query attention); null for as many as the query heads.</summary>
    public long? AttentionKvHeads { get; init; }

    /// <summary>
    /// mamba_ssm's d_intermediate: with a positive width every layer adds <c>norm2</c> and a <see cref="GatedMlp"/> after
    /// its mixer, the Transformer layout (attention then MLP); 0, the default, is Mamba's own (the mixer alone).
    /// </summary>
    public long MlpDim { get; init; }

    /// <summary>Share all parameters between the two directions of bidirectional Mamba layers.</summary>
    public bool TieBidirectional { get; init; }

    /// <summary>ε of the RMSNorms.</summary>
    public double NormEps { get; init; } = 1e-5;

    /// <summary>The layer kinds, parsed and checked.</summary>
    public IReadOnlyList<LayerKind> LayerKinds => ParseLayers(Layers);

    /// <summary><paramref name="pattern"/> repeated to <paramref name="count"/> layers: <c>Repeat("M2,M2,M2,A", 8)</c>.</summary>
    public static string Repeat(string pattern, int count)
    {
        var kinds = pattern.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return string.Join(",", Enumerable.Range(0, count).Select(i => kinds[i % kinds.Length]));
    }

    private static List<LayerKind> ParseLayers(string layers)
    {
        var kinds = layers.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select((name, i) => name.ToUpperInvariant() switch
            {
                "M1" => LayerKind.Mamba1,
                "M2" => LayerKind.Mamba2,
                "A" => LayerKind.Attention,
                "BM" => LayerKind.BidirectionalMamba,
                "BA" => LayerKind.BidirectionalAttention,
                _ => throw new ArgumentException($"Layers: layer {i} is '{name}'; expected M1, M2, A, BM or BA.", nameof(layers)),
            })
            .ToList();
        if (kinds.Count == 0) throw new ArgumentException("Layers: the backbone needs at least one layer.", nameof(layers));
        return kinds;
    }
}

/// <summary>The mixer of one backbone layer.</summary>
public enum LayerKind
{
    /// <summary>Mamba-1 (selective scan).</summary>
    Mamba1,
    /// <summary>Mamba-2 (SSD).</summary>
    Mamba2,
    /// <summary>Causal multi-head attention.</summary>
    Attention,
    /// <summary>Bidirectional Mamba-1 (not causal).</summary>
    BidirectionalMamba,
    /// <summary>Non-causal multi-head attention.</summary>
    BidirectionalAttention,
}
