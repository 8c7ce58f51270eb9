using Mamba.Graphs.Data;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Graphs.Models;

/// <summary>The normalised adjacency Â = D^−½ (A + I) D^−½ of a graph, as message edges (weights included).</summary>
public static class GraphEdges
{
    /// <summary>Edges of Â; with <paramref name="selfLoops"/> false, D^−½ A D^−½ (label propagation's S).</summary>
    public static EdgeTensors Normalised(Graph graph, bool selfLoops)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var source = new List<int>();
        var target = new List<int>();
        var weight = new List<float>();
        var degree = new double[graph.NodeCount];
        for (int i = 0; i < graph.NodeCount; i++)
        {
            if (selfLoops) { source.Add(i); target.Add(i); weight.Add(1); degree[i] += 1; }
            for (int k = graph.Offsets[i]; k < graph.Offsets[i + 1]; k++)
            {
                source.Add(graph.Neighbors[k]);
                target.Add(i);
                weight.Add(graph.Weights[k]);
                degree[i] += graph.Weights[k];
            }
        }
        for (int e = 0; e < weight.Count; e++)
            weight[e] = degree[target[e]] > 0 && degree[source[e]] > 0 ? (float)(weight[e] / Math.Sqrt(degree[target[e]] * degree[source[e]])) : 0;
        return new EdgeTensors(graph.NodeCount, [.. source], [.. target], [.. weight]);
    }
}

/// <summary>The 2-layer GCN baseline (Kipf and Welling): Â ReLU(Â X W₁) W₂ with dropout.</summary>
public sealed class Gcn : nn.Module
{
    private readonly GcnLayer first, second;
    private readonly Dropout dropout;

    /// <summary>Creates the network.</summary>
    public Gcn(long featureDim, long hidden, int classes, double dropout) : base(nameof(Gcn))
    {
        first = new GcnLayer(featureDim, hidden);
        second = new GcnLayer(hidden, classes);
        this.dropout = nn.Dropout(dropout);
        RegisterComponents();
    }

    /// <summary>Hidden node states (N, H) and logits (N, C).</summary>
    public (Tensor Embedding, Tensor Logits) Forward(Tensor features, EdgeTensors adjacency)
    {
        var hidden = nn.functional.relu(first.forward(dropout.forward(features), adjacency));
        return (hidden, second.forward(dropout.forward(hidden), adjacency));
    }
}

/// <summary>
/// Label propagation (Zhou et al. 2004): F ← α S F + (1 − α) Y from the training labels Y, with S = D^−½ A D^−½;
/// deterministic and parameter-free.
/// </summary>
public static class LabelPropagation
{
    /// <summary>Class scores (N, C) after <paramref name="iterations"/> steps.</summary>
    public static Tensor Propagate(Graph graph, int classes, int[] trainNodes, double alpha, int iterations)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(trainNodes);
        using var scope = NewDisposeScope();
        using var s = GraphEdges.Normalised(graph, selfLoops: false);
        var seeds = zeros(graph.NodeCount, classes, dtype: float64);
        foreach (int node in trainNodes) seeds[node, graph.Labels[node]] = 1;
        var scores = seeds.clone();
        var weight = s.Weight.to_type(float64);
        for (int i = 0; i < iterations; i++)
        {
            var spread = zeros(graph.NodeCount, classes, dtype: float64).index_add_(0, s.Target, scores.index_select(0, s.Source) * weight.unsqueeze(1), Scalars.One);
            scores = alpha * spread + (1 - alpha) * seeds;
        }
        return scores.MoveToOuterDisposeScope();
    }
}
