using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// Multi-head attention for hybrid stacks (mamba_ssm's <c>MHA</c> layout: one <c>in_proj</c> for q, k and v, one
/// <c>out_proj</c>), through <c>scaled_dot_product_attention</c>, causal or not, with grouped-query attention when
/// <c>kvHeads</c> &lt; <c>heads</c>. No positional encoding: in a hybrid the Mamba layers carry position, as in Jamba.
/// A causal layer streams with a key/value cache.
/// </summary>
public sealed class AttentionLayer : nn.Module<Tensor, Tensor>, IRecurrentMixer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="modelDim">d_model; must be a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvHeads">Key/value heads (grouped-query attention); null for as many as the query heads.</param>
    /// <param name="causal">Each position attends only to itself and earlier ones.</param>
    public AttentionLayer(long modelDim, long heads, long? kvHeads = null, bool causal = true) : base(nameof(AttentionLayer))
    {
        if (modelDim % heads != 0) throw new ArgumentException($"d_model {modelDim} must be a multiple of the {heads} heads.", nameof(heads));
        Heads = heads;
        KvHeads = kvHeads ?? heads;
        if (Heads % KvHeads != 0) throw new ArgumentException($"The {KvHeads} key/value heads must divide the {Heads} query heads.", nameof(kvHeads));
        HeadDim = modelDim / heads;
        Causal = causal;
        InProj = nn.Linear(modelDim, (Heads + 2 * KvHeads) * HeadDim, hasBias: true);
        OutProj = nn.Linear(Heads * HeadDim, modelDim, hasBias: true);
        register_module("in_proj", InProj);
        register_module("out_proj", OutProj);
    }

    /// <summary>Query heads.</summary>
    public long Heads { get; }

    /// <summary>Key/value heads.</summary>
    public long KvHeads { get; }

    /// <summary>Width of one head.</summary>
    public long HeadDim { get; }

    /// <summary>Whether positions attend only backwards.</summary>
    public bool Causal { get; }

    /// <summary>d_model → q, k, v.</summary>
    public Linear InProj { get; }

    /// <summary>heads · head dim → d_model.</summary>
    public Linear OutProj { get; }

    /// <summary>hidden (B, L, d_model) → (B, L, d_model).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(hidden);
        return OutProj.forward(Attend(q, k, v, Causal)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Prefill(Tensor hidden, LayerState? initial)
    {
        RequireCausal();
        using var scope = NewDisposeScope();
        var (q, k, v) = Project(hidden);
        var cache = Expect(initial);
        if (cache is not null && cache.Keys.shape[2] > 0)
        {
            k = cat([cache.Keys, k], dim: 2);
            v = cat([cache.Values, v], dim: 2);
            // Queries of the new tokens see the whole cache and the new tokens up to themselves.
            long past = cache.Keys.shape[2], length = q.shape[2];
            var mask = ones(length, past + length, ScalarType.Bool, hidden.device).tril(past);
            var output = nn.functional.scaled_dot_product_attention(q, Expand(k), Expand(v), mask);
            return (OutProj.forward(Merge(output)).MoveToOuterDisposeScope(), new KeyValueCache(k, v).MoveToOuterDisposeScope());
        }
        return (OutProj.forward(Attend(q, k, v, causal: true)).MoveToOuterDisposeScope(), new KeyValueCache(k, v).MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Step(Tensor hidden, LayerState state)
    {
        RequireCausal();
        using var scope = NewDisposeScope();
        var cache = Expect(state)!;
        var (q, k, v) = Project(hidden.unsqueeze(1));                            // one token: (B, heads, 1, head dim)
        var keys = cat([cache.Keys, k], dim: 2);
        var values = cat([cache.Values, v], dim: 2);
        var output = nn.functional.scaled_dot_product_attention(q, Expand(keys), Expand(values));
        return (OutProj.forward(Merge(output)).squeeze(1).MoveToOuterDisposeScope(), new KeyValueCache(keys, values).MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public LayerState NewState(long batch, Device? device = null)
    {
        RequireCausal();
        return new KeyValueCache(zeros([batch, KvHeads, 0, HeadDim], device: device), zeros([batch, KvHeads, 0, HeadDim], device: device));
    }

    /// <inheritdoc />
    public LayerState RestoreState(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var keys = tensors.TryGetValue("keys", out var k) ? k : throw new ArgumentException("The saved state has no 'keys' tensor.");
        var values = tensors.TryGetValue("values", out var v) ? v : throw new ArgumentException("The saved state has no 'values' tensor.");
        if (keys.dim() != 4 || keys.shape[1] != KvHeads || keys.shape[3] != HeadDim || !keys.shape.SequenceEqual(values.shape))
            throw new ArgumentException(
                $"The saved key/value cache has shapes [{string.Join(", ", keys.shape)}] and [{string.Join(", ", values.shape)}]; this layer needs [batch, {KvHeads}, tokens, {HeadDim}] for both.");
        return new KeyValueCache(keys, values);
    }

    /// <summary>q (B, heads, L, hd), k and v (B, kv heads, L, hd).</summary>
    private (Tensor Q, Tensor K, Tensor V) Project(Tensor hidden)
    {
        long batch = hidden.shape[0], length = hidden.shape[1];
        var parts = InProj.forward(hidden).split([Heads * HeadDim, KvHeads * HeadDim, KvHeads * HeadDim], dim: -1);
        Tensor Split(Tensor t, long count) => t.view(batch, length, count, HeadDim).transpose(1, 2);
        return (Split(parts[0], Heads), Split(parts[1], KvHeads), Split(parts[2], KvHeads));
    }

    private Tensor Attend(Tensor q, Tensor k, Tensor v, bool causal) =>
        Merge(nn.functional.scaled_dot_product_attention(q, Expand(k), Expand(v), is_casual: causal));

    /// <summary>Repeats each key/value head for the query heads that share it (grouped-query attention).</summary>
    private Tensor Expand(Tensor kv) => KvHeads == Heads ? kv : kv.repeat_interleave(Heads / KvHeads, dim: 1);

    private static Tensor Merge(Tensor heads) => heads.transpose(1, 2).flatten(2);           // (B, L, heads · hd)

    private static KeyValueCache? Expect(LayerState? state) => state switch
    {
        null => null,
        KeyValueCache cache => cache,
        _ => throw new ArgumentException($"An attention layer was given a {state.GetType().Name}; states must stay with the layer that made them.", nameof(state)),
    };

    private void RequireCausal()
    {
        if (!Causal) throw new InvalidOperationException("A non-causal attention layer sees the whole sequence and cannot stream token by token.");
    }
}
