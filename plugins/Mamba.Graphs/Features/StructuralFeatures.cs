using Mamba.Graphs.Data;
using Mamba.Graphs.Models;
using Mamba.Sdk.Data;
using static TorchSharp.torch;

namespace Mamba.Graphs.Features;

/// <summary>
/// The node features models see: computed from structure (log degree, the random-walk structural encoding — RWSE, the
/// probability of returning to the node after 1…K steps — and the Laplacian positional encoding, eigenvectors 2…K+1 of
/// the symmetric normalised Laplacian), and the node table's own numeric attributes when the job names them. Columns
/// are standardised. The structural part is dense N × N algebra, refused beyond <see cref="MaxNodes"/> nodes.
/// </summary>
public static class StructuralFeatures
{
    /// <summary>Graphs larger than this are refused (dense eigendecomposition and matrix powers).</summary>
    public const int MaxNodes = 20_000;

    /// <summary>[N, F] float32 features, and how many trailing columns are Laplacian eigenvectors (sign-ambiguous).</summary>
    public static (Tensor Features, int LaplacianColumns) Compute(Graph graph, FeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        // A job never gets here so: GraphJobTask.Check refuses structural: false without feature columns first.
        if (!options.Structural && graph.Attributes is null)
            throw new ArgumentException("Structural features are off and the graph has no node attributes: there is nothing to compute.", nameof(options));
        if (options.Structural && graph.NodeCount > MaxNodes)
            throw new DataFormatException(graph.Source,
                $"{graph.NodeCount} nodes; structural features are computed densely (an N × N eigendecomposition), so a graph may have at most {MaxNodes} " +
                "(set features.structural to false and use data.featureColumns, use data.largestComponent, or pass a subgraph)");
        using var scope = NewDisposeScope();
        int n = graph.NodeCount;
        var columns = new List<Tensor>();
        int laplacianColumns = 0;
        Tensor? laplacian = null;
        if (options.Structural)
        {
            var adjacency = DenseAdjacency(graph);                           // (N, N), symmetric when undirected
            var degree = adjacency.sum(1);                                   // (N)
            columns.Add(degree.log1p().unsqueeze(1));
            if (options.RandomWalkSteps > 0) columns.Add(RandomWalkReturns(adjacency, options.RandomWalkSteps));
            laplacianColumns = Math.Min(options.LaplacianVectors, n - 1);
            if (laplacianColumns > 0)
            {
                var inverseRoot = degree.clamp_min(Scalars.One).rsqrt();
                var normalised = eye(n, dtype: float64) - inverseRoot.unsqueeze(1) * adjacency * inverseRoot.unsqueeze(0);
                var (_, vectors) = linalg.eigh(normalised);                  // ascending eigenvalues
                var pe = vectors[.., 1..(laplacianColumns + 1)];
                laplacian = pe * CanonicalSigns(pe);
            }
        }
        if (graph.Attributes is { } attributes)
            columns.Add(tensor(attributes.Values, [n, attributes.Names.Count], float64));
        // The eigenvectors go last: sign-flip augmentation finds them as the trailing LaplacianColumns.
        if (laplacian is not null) columns.Add(laplacian);

        var features = cat(columns, 1);
        var std = features.std(0, keepdim: true);
        features = (features - features.mean([0], keepdim: true)) / where(std > 1e-12, std, ones_like(std));
        return (features.to_type(float32).MoveToOuterDisposeScope(), laplacianColumns);
    }

    /// <summary>(N, K) float64: the probability that a random walk from each node is back at it after 1…K steps.</summary>
    internal static Tensor RandomWalkReturns(Graph graph, int steps)
    {
        using var scope = NewDisposeScope();
        return RandomWalkReturns(DenseAdjacency(graph), steps).MoveToOuterDisposeScope();
    }

    private static Tensor RandomWalkReturns(Tensor adjacency, int steps)
    {
        using var scope = NewDisposeScope();
        var transition = adjacency / adjacency.sum(1).clamp_min(Scalars.One).unsqueeze(1);        // P = D⁻¹A
        var power = eye(adjacency.shape[0], dtype: float64);
        var returns = new List<Tensor>();
        for (int k = 0; k < steps; k++)
        {
            power = power.matmul(transition);
            returns.Add(power.diagonal());
        }
        return stack(returns, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Signs that make each eigenvector's largest-magnitude entry positive: independent of node order.</summary>
    private static Tensor CanonicalSigns(Tensor vectors)
    {
        var largest = vectors.abs().argmax(0, keepdim: true);
        return vectors.gather(0, largest).sign().where(vectors.gather(0, largest) != 0, ones(1, dtype: float64));
    }

    private static Tensor DenseAdjacency(Graph graph)
    {
        int n = graph.NodeCount;
        var rows = new long[graph.EntryCount];
        var cols = new long[graph.EntryCount];
        for (int i = 0; i < n; i++)
            for (int k = graph.Offsets[i]; k < graph.Offsets[i + 1]; k++) (rows[k], cols[k]) = (i, graph.Neighbors[k]);
        var adjacency = zeros(n, n, dtype: float64);
        if (rows.Length > 0) adjacency.index_put_(ones(rows.Length, dtype: float64), tensor(rows), tensor(cols));
        return adjacency;
    }
}
