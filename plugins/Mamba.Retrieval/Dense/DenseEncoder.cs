using Mamba.Core.Blocks;
using Mamba.Core.Models;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Dense;

/// <summary>How a text's token states become one vector.</summary>
public enum Pooling
{
    /// <summary>The hidden state at the appended end token (Mamba Retriever): a causal encoder has read the whole text there.</summary>
    Last,

    /// <summary>The mean over the text's tokens and the end token.</summary>
    Mean,
}

/// <summary>The shape of a dense encoder, saved as its config.</summary>
/// <param name="Layers">Layer pattern of the core backbone (<c>M1,M1,…</c>; <c>A,A,…</c> gives the Transformer of the benchmark).</param>
/// <param name="ModelDim">d_model.</param>
/// <param name="StateSize">SSM state size N.</param>
/// <param name="Pooling">End-token or mean pooling.</param>
/// <param name="MaxTokens">Tokens read per text in training and batch encoding (end token included).</param>
/// <param name="Vocabulary">A WordPiece vocabulary file (absolute path), or <see cref="TextTokenizer.GptBpe"/>; null: UTF-8 bytes.</param>
/// <param name="Lowercase">Lower-case texts before tokenising.</param>
/// <param name="MlpDim">Hidden width of a gated MLP after every mixer (the Transformer layer layout); 0: none.</param>
public sealed record DenseEncoderSpec(string Layers, long ModelDim, int StateSize, Pooling Pooling, int MaxTokens, string? Vocabulary = null, bool Lowercase = false, long MlpDim = 0);

/// <summary>
/// Bi-encoder tower (shared by queries and passages): tokens (<see cref="TextTokenizer"/>) → core backbone → pooled, L2-normalised vector, so
/// cosine similarity is a dot product. Causal layer patterns can also encode texts of any length in constant memory
/// through the recurrent state (<see cref="EncodeStreaming"/>).
/// </summary>
public sealed class DenseEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ResidualBackbone backbone;
    private readonly TextTokenizer tokenizer;

    /// <summary>Builds the encoder <paramref name="spec"/> describes.</summary>
    public DenseEncoder(DenseEncoderSpec spec) : base(nameof(DenseEncoder))
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        tokenizer = TextTokenizer.For(spec.Vocabulary, spec.Lowercase);
        backbone = new ResidualBackbone(new BackboneOptions
        {
            ModelDim = spec.ModelDim,
            Layers = spec.Layers,
            VocabSize = tokenizer.VocabularySize,
            Mamba1 = new MambaBlockOptions { StateSize = spec.StateSize },
            AttentionHeads = Math.Max(1, spec.ModelDim / 64),
            MlpDim = spec.MlpDim,
        });
        register_module("backbone", backbone);
    }

    /// <summary>The shape.</summary>
    public DenseEncoderSpec Spec { get; }

    /// <summary>Token ids (B, L), right-padded, and each row's length including the end token (B) → unit vectors (B, d_model).</summary>
    public override Tensor forward(Tensor ids, Tensor lengths)
    {
        using var scope = NewDisposeScope();
        var hidden = backbone.forward(ids);                                                     // (B, L, d)
        Tensor pooled;
        if (Spec.Pooling == Pooling.Last)
        {
            var last = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden.shape[2]);
            pooled = hidden.gather(1, last).squeeze(1);
        }
        else
        {
            var mask = arange(hidden.shape[1], device: hidden.device).unsqueeze(0).lt(lengths.unsqueeze(1)).unsqueeze(2).to_type(hidden.dtype);
            pooled = (hidden * mask).sum(1, keepdim: false) / lengths.unsqueeze(1).to_type(hidden.dtype);
        }
        return nn.functional.normalize(pooled, p: 2, dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Next-token cross-entropy of token windows (B, L) through the backbone, with the embedding matrix as the output
    /// layer: the language-model pretraining Mamba Retriever starts from (there, a pretrained Mamba checkpoint).
    /// </summary>
    public Tensor LanguageModelLoss(Tensor windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        using var scope = NewDisposeScope();
        long length = windows.shape[1];
        var hidden = backbone.forward(windows.narrow(1, 0, length - 1));                              // (B, L-1, d)
        var logits = hidden.matmul(backbone.Embedding!.weight!.t());                                   // (B, L-1, vocabulary)
        return nn.functional.cross_entropy(logits.flatten(0, 1), windows.narrow(1, 1, length - 1).flatten()).MoveToOuterDisposeScope();
    }

    /// <summary>Tokens of <paramref name="text"/> with the end token, cut to <paramref name="maxTokens"/>.</summary>
    public long[] Tokenize(string text, int maxTokens) => tokenizer.Encode(text, maxTokens);

    /// <summary>Token batches of <paramref name="texts"/> (each cut to <see cref="DenseEncoderSpec.MaxTokens"/>) → (B, d_model).</summary>
    public Tensor Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        using var scope = NewDisposeScope();
        var tokens = texts.Select(t => tokenizer.Encode(t, Spec.MaxTokens)).ToList();
        int width = tokens.Max(t => t.Length);
        var flat = new long[tokens.Count * width];
        Array.Fill(flat, tokenizer.Pad);
        for (int i = 0; i < tokens.Count; i++) tokens[i].CopyTo(flat, i * width);
        using var ids = tensor(flat).view(tokens.Count, width);
        using var lengths = tensor(tokens.Select(t => (long)t.Length).ToArray());
        return forward(ids, lengths).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One text of any length in chunks of <paramref name="chunk"/> tokens through the recurrent state (no
    /// truncation): memory is one chunk's activations plus the state. Equals <see cref="Encode"/> of the same text when
    /// it fits (tested). Causal layer patterns only.
    /// </summary>
    public Tensor EncodeStreaming(string text, int chunk)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        using var noGrad = no_grad();
        var ids = tokenizer.Encode(text, int.MaxValue);
        using var pooled = zeros(Spec.ModelDim);
        BackboneState? state = null;
        for (int start = 0; start < ids.Length; start += chunk)
        {
            using var scope = NewDisposeScope();
            var piece = tensor(ids.AsSpan(start, Math.Min(chunk, ids.Length - start)).ToArray()).unsqueeze(0);
            var (output, next) = backbone.Prefill(piece, state);
            if (Spec.Pooling == Pooling.Last) pooled.copy_(output[0, -1]);
            else pooled.add_(output[0].sum(0, keepdim: false));          // a bare sum(0) binds to sum(ScalarType)
            state?.Dispose();
            foreach (var layer in next.Layers) layer.MoveToOuterDisposeScope();
            state = next;
        }
        state?.Dispose();
        using var vector = Spec.Pooling == Pooling.Last ? pooled.unsqueeze(0) : (pooled / ids.Length).unsqueeze(0);
        return nn.functional.normalize(vector, p: 2, dim: 1);
    }
}
