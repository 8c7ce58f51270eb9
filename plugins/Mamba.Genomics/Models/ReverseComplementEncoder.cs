using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Genomics.Tokens;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Genomics.Models;

/// <summary>
/// Caduceus' reverse-complement equivariance by parameter sharing (RCPS). The hidden state has 2·d channels: a forward
/// half and a reverse-complement half, and "RC" of a hidden state reverses both its positions and its channels (which
/// swaps the halves). Every layer applies one shared function f to the forward half and rc∘f∘rc to the other, so the
/// whole network satisfies model(revcomp(x)) = complement-permuted, position-reversed model(x), exactly, with the
/// parameters of a d-wide model.
/// <list type="bullet">
/// <item>embedding: [E(x), flip_channels(E(complement(x)))] — (B, L, 2d)</item>
/// <item>layer: residual += [f(a), rc(f(rc(b)))] with f = mixer ∘ RMSNorm, a and b the halves</item>
/// <item>head (tied): logits = E·a + P·E·flip_channels(b), P the complement permutation of the vocabulary</item>
/// </list>
/// </summary>
public sealed class ReverseComplementEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embedding;
    private readonly ModuleList<RcpsLayer> layers;
    private readonly RmsNorm normF;
    private readonly Tensor complement;
    private readonly long dim;

    /// <summary>Creates the encoder with the core backbone's initialisation (embedding N(0, 0.02), out_proj / √layers).</summary>
    public ReverseComplementEncoder(BackboneOptions options) : base(nameof(ReverseComplementEncoder))
    {
        ArgumentNullException.ThrowIfNull(options);
        dim = options.ModelDim;
        embedding = nn.Embedding(NucleotideTokenizer.VocabularySize, dim);
        layers = new ModuleList<RcpsLayer>([.. options.LayerKinds.Select(kind => new RcpsLayer(kind, options))]);
        normF = new RmsNorm(dim, options.NormEps);
        complement = tensor(Enumerable.Range(0, NucleotideTokenizer.VocabularySize).Select(t => (long)NucleotideTokenizer.Complement(t)).ToArray());
        register_module("embedding", embedding);
        register_module("layers", layers);
        register_module("norm_f", normF);
        register_buffer("complement", complement, persistent: false);
        using var noGrad = no_grad();
        nn.init.normal_(embedding.weight!, 0, 0.02);
        double scale = Math.Sqrt(layers.Count);
        foreach (var (name, parameter) in named_parameters())
            if (name.EndsWith("out_proj.weight", StringComparison.Ordinal)) parameter.div_(scale);
    }

    /// <summary>d: the width of each half.</summary>
    public long HalfDim => dim;

    /// <summary>Token ids (B, L) → hidden states (B, L, 2d), forward half first.</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var residual = cat([embedding.forward(tokens), embedding.forward(complement[tokens]).flip(-1)], -1);
        foreach (var layer in layers) residual = residual + Shared(layer.forward, residual);
        return Shared(normF.forward, residual).MoveToOuterDisposeScope();
    }

    /// <summary>Tied LM head: hidden (B, L, 2d) → logits (B, L, vocab), equivariant under reverse complement.</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var weight = embedding.weight!;
        var forwards = nn.functional.linear(hidden[.., .., ..(int)dim], weight);
        var reverse = nn.functional.linear(hidden[.., .., (int)dim..].flip(-1), weight);
        return (forwards + reverse.index_select(-1, complement)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-position features (B, L, d): the mean of the forward half and the channel-flipped RC half. Under reverse
    /// complement they come out in reverse order, so any pooling over positions is strand-invariant.
    /// </summary>
    public Tensor Features(Tensor hidden) => (hidden[.., .., ..(int)dim] + hidden[.., .., (int)dim..].flip(-1)) / 2;

    /// <summary>[f(a), rc(f(rc(b)))], both halves through f in one batch.</summary>
    private static Tensor Shared(Func<Tensor, Tensor> f, Tensor hidden)
    {
        long batch = hidden.shape[0];
        var halves = hidden.chunk(2, -1);
        var both = f(cat([halves[0], halves[1].flip(1, 2)], 0));
        return cat([both[..(int)batch], both[(int)batch..].flip(1, 2)], -1);
    }

    /// <summary>One pre-norm layer (norm, then a non-causal mixer), applied by the encoder to each half.</summary>
    private sealed class RcpsLayer : nn.Module<Tensor, Tensor>
    {
        private readonly RmsNorm norm;
        private readonly nn.Module<Tensor, Tensor> mixer;

        public RcpsLayer(LayerKind kind, BackboneOptions options) : base(nameof(RcpsLayer))
        {
            norm = new RmsNorm(options.ModelDim, options.NormEps);
            mixer = kind switch
            {
                LayerKind.BidirectionalMamba => new BidirectionalMambaBlock(options.ModelDim, options.Mamba1, options.TieBidirectional),
                LayerKind.BidirectionalAttention => new AttentionLayer(options.ModelDim, options.AttentionHeads, options.AttentionKvHeads, causal: false),
                _ => throw new ArgumentException($"an RCPS layer must be bidirectional (BM or BA), not {kind}", nameof(kind)),
            };
            register_module("norm", norm);
            register_module("mixer", mixer);
        }

        public override Tensor forward(Tensor hidden) => mixer.forward(norm.forward(hidden));
    }
}
