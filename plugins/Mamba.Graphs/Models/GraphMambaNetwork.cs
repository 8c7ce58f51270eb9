using Mamba.Core.Blocks;
using Mamba.Core.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Graphs.Models;

/// <summary>
/// Graph Mamba Network for node classification. Each node's neighbourhood tokens (random-walk subgraphs of length
/// m…0, see <see cref="NeighbourhoodTokens"/>) are encoded by a local message-passing layer and mean-pooled, then
/// read by a bidirectional Mamba in hop order; its output at the node's own token (last), added to the node's projected
/// features, is the local representation. Optionally a Graph-Mamba layer follows (a GraphGPS layer with Mamba as its
/// global model): a graph convolution over the whole graph plus a bidirectional Mamba over all nodes ordered by degree,
/// both added to the representation. A linear head classifies.
/// </summary>
public sealed class GraphMambaNetwork : nn.Module
{
    private readonly Linear input;
    private readonly nn.Module<Tensor, EdgeTensors, Tensor> local;
    private readonly Parameter hop;
    private readonly ResidualBackbone tokens;
    private readonly ResidualBackbone? global;
    private readonly GcnLayer? globalLocal;
    private readonly Dropout dropout;
    private readonly Linear head;

    /// <summary>Creates the network for <paramref name="featureDim"/> input features and <paramref name="classes"/> classes.</summary>
    public GraphMambaNetwork(long featureDim, int classes, GmnOptions options) : base(nameof(GraphMambaNetwork))
    {
        ArgumentNullException.ThrowIfNull(options);
        long d = options.DModel;
        input = nn.Linear(featureDim, d);
        local = options.LocalEncoder == LocalEncoder.GatedGcn ? new GatedGcnLayer(d) : new GcnLayer(d, d);
        hop = nn.Parameter(randn(options.WalkLength + 1, d) * 0.02);
        var backbone = new BackboneOptions { ModelDim = d, Layers = BackboneOptions.Repeat("BM", options.MambaLayers), Mamba1 = new MambaBlockOptions { StateSize = options.DState } };
        tokens = new ResidualBackbone(backbone);
        if (options.GlobalLayer)
        {
            global = new ResidualBackbone(backbone with { Layers = "BM" });
            globalLocal = new GcnLayer(d, d);
        }
        dropout = nn.Dropout(options.Dropout);
        head = nn.Linear(d, classes);
        RegisterComponents();
    }

    /// <summary>
    /// Node embeddings (N, D) and class logits (N, C) from features (N, F), a token sample, and for the Graph-Mamba
    /// layer the graph's normalised adjacency and a node order (a permutation of 0…N−1); both ignored without it.
    /// </summary>
    public (Tensor Embedding, Tensor Logits) Forward(Tensor features, TokenTensors sample, EdgeTensors adjacency, Tensor order)
    {
        ArgumentNullException.ThrowIfNull(adjacency);
        ArgumentNullException.ThrowIfNull(sample);
        var h = nn.functional.relu(input.forward(dropout.forward(features)));                 // (N, D)
        var memberStates = local.forward(h.index_select(0, sample.Members), sample.Edges);   // (members, D)
        var pooled = zeros(sample.TokenCount, h.shape[1]).index_add_(0, sample.MemberToken, memberStates, Scalars.One) / sample.MemberCounts.unsqueeze(1);
        var sequence = pooled.view(sample.Nodes, sample.TokensPerNode, -1).flip(1) + hop.flip(0); // (N, m+1, D): hop m first, the node itself last
        var z = h + tokens.forward(dropout.forward(sequence))[.., -1];                       // (N, D), residual over the node's own features
        if (global is not null && globalLocal is not null)
        {
            var neighbours = nn.functional.relu(globalLocal.forward(dropout.forward(z), adjacency));
            var ordered = dropout.forward(z).index_select(0, order).unsqueeze(0);             // (1, N, D) by degree
            var context = global.forward(ordered).squeeze(0);
            z = z + neighbours + zeros_like(context).index_copy(0, order, context);
        }
        return (z, head.forward(dropout.forward(z)));
    }
}

/// <summary>A token sample as tensors (see <see cref="NeighbourhoodTokens"/>).</summary>
public sealed class TokenTensors : IDisposable
{
    /// <summary>Moves a sample to tensors.</summary>
    public TokenTensors(NeighbourhoodTokens tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Edges = new EdgeTensors(tokens.Members.Length, tokens.EdgeSource, tokens.EdgeTarget, tokens.EdgeNorm);
        using var scope = NewDisposeScope();
        Nodes = tokens.Nodes;
        TokensPerNode = tokens.TokensPerNode;
        Members = tensor(tokens.Members.Select(i => (long)i).ToArray()).MoveToOuterDisposeScope();
        MemberToken = tensor(tokens.MemberToken.Select(i => (long)i).ToArray()).MoveToOuterDisposeScope();
        MemberCounts = zeros(TokenCount).index_add_(0, MemberToken, ones(tokens.Members.Length), Scalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>N.</summary>
    public long Nodes { get; }

    /// <summary>m + 1.</summary>
    public long TokensPerNode { get; }

    /// <summary>N · (m + 1).</summary>
    public long TokenCount => Nodes * TokensPerNode;

    /// <summary>(members) graph node of each member.</summary>
    public Tensor Members { get; }

    /// <summary>(members) token of each member.</summary>
    public Tensor MemberToken { get; }

    /// <summary>(tokens) members per token.</summary>
    public Tensor MemberCounts { get; }

    /// <summary>Message edges between members.</summary>
    public EdgeTensors Edges { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        Members.Dispose();
        MemberToken.Dispose();
        MemberCounts.Dispose();
        Edges.Dispose();
    }
}
