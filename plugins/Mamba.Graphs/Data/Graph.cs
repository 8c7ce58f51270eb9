namespace Mamba.Graphs.Data;

/// <summary>
/// A graph with labelled nodes, as node-classification tasks use it: node ids (any strings) mapped to indices
/// 0…N−1, weighted adjacency in CSR form (both directions for undirected graphs; self-loops and repeated edges
/// dropped), class labels (−1 where unknown) and an optional fixed split per node.
/// </summary>
public sealed class Graph
{
    internal Graph(string source, string[] ids, int[] labels, string[] classes, string[]? splits, int[] offsets, int[] neighbors, float[] weights,
        NodeAttributes? attributes)
    {
        Attributes = attributes;
        Source = source;
        Ids = ids;
        Labels = labels;
        Classes = classes;
        Splits = splits;
        Offsets = offsets;
        Neighbors = neighbors;
        Weights = weights;
    }

    /// <summary>The files the graph came from, for messages.</summary>
    public string Source { get; }

    /// <summary>Node ids as the files spell them, by index.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>Class index per node; −1 where the node has no label.</summary>
    public IReadOnlyList<int> Labels { get; }

    /// <summary>Class names, by class index (sorted, so they do not depend on node order).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary><c>train</c>, <c>val</c> or <c>test</c> per node when the node table has a split column.</summary>
    public IReadOnlyList<string>? Splits { get; }

    /// <summary>CSR row starts: node i's neighbours are <c>Neighbors[Offsets[i]..Offsets[i + 1]]</c>.</summary>
    public IReadOnlyList<int> Offsets { get; }

    /// <summary>CSR column indices, sorted within each row.</summary>
    public IReadOnlyList<int> Neighbors { get; }

    /// <summary>Edge weights, parallel to <see cref="Neighbors"/>.</summary>
    public IReadOnlyList<float> Weights { get; }

    /// <summary>Numeric node attributes from the node table (<c>data.featureColumns</c>); null when none were asked for.</summary>
    public NodeAttributes? Attributes { get; }

    /// <summary>Number of nodes.</summary>
    public int NodeCount => Ids.Count;

    /// <summary>Number of stored (directed) adjacency entries.</summary>
    public int EntryCount => Neighbors.Count;

    /// <summary>Number of neighbours of <paramref name="node"/>.</summary>
    public int Degree(int node) => Offsets[node + 1] - Offsets[node];

    /// <summary>Builds the CSR form from an edge list over indices 0…N−1.</summary>
    internal static Graph FromEdges(string source, string[] ids, int[] labels, string[] classes, string[]? splits,
        IEnumerable<(int Source, int Target, float Weight)> edges, bool directed, NodeAttributes? attributes = null)
    {
        var rows = new SortedDictionary<int, float>[ids.Length];
        for (int i = 0; i < rows.Length; i++) rows[i] = [];
        foreach (var (s, t, w) in edges)
        {
            if (s == t) continue;
            rows[s].TryAdd(t, w);
            if (!directed) rows[t].TryAdd(s, w);
        }
        var offsets = new int[ids.Length + 1];
        for (int i = 0; i < ids.Length; i++) offsets[i + 1] = offsets[i] + rows[i].Count;
        var neighbors = new int[offsets[^1]];
        var weights = new float[offsets[^1]];
        for (int i = 0; i < ids.Length; i++)
        {
            int k = offsets[i];
            foreach (var (t, w) in rows[i]) (neighbors[k], weights[k++]) = (t, w);
        }
        return new Graph(source, ids, labels, classes, splits, offsets, neighbors, weights, attributes);
    }

    /// <summary>The nodes of the largest connected component (weakly connected for directed graphs), in index order.</summary>
    public int[] LargestComponent()
    {
        var undirected = new List<int>[NodeCount];
        for (int i = 0; i < NodeCount; i++) undirected[i] = [];
        for (int i = 0; i < NodeCount; i++)
            for (int k = Offsets[i]; k < Offsets[i + 1]; k++) { undirected[i].Add(Neighbors[k]); undirected[Neighbors[k]].Add(i); }
        var component = new int[NodeCount];
        Array.Fill(component, -1);
        int best = -1, bestSize = 0, next = 0;
        for (int start = 0; start < NodeCount; start++)
        {
            if (component[start] >= 0) continue;
            int size = 0;
            var queue = new Queue<int>([start]);
            component[start] = next;
            while (queue.TryDequeue(out int node))
            {
                size++;
                foreach (int other in undirected[node])
                    if (component[other] < 0) { component[other] = next; queue.Enqueue(other); }
            }
            if (size > bestSize) (best, bestSize) = (next, size);
            next++;
        }
        return [.. Enumerable.Range(0, NodeCount).Where(i => component[i] == best)];
    }

    /// <summary>The subgraph induced by <paramref name="nodes"/> (indices renumbered in the given order).</summary>
    public Graph Induced(IReadOnlyList<int> nodes)
    {
        var index = new Dictionary<int, int>();
        for (int i = 0; i < nodes.Count; i++) index[nodes[i]] = i;
        var edges = new List<(int, int, float)>();
        for (int i = 0; i < nodes.Count; i++)
            for (int k = Offsets[nodes[i]]; k < Offsets[nodes[i] + 1]; k++)
                if (index.TryGetValue(Neighbors[k], out int j)) edges.Add((i, j, Weights[k]));
        return FromEdges(Source, [.. nodes.Select(n => Ids[n])], [.. nodes.Select(n => Labels[n])], [.. Classes],
            Splits is null ? null : [.. nodes.Select(n => Splits[n])], edges, directed: true, Attributes?.Rows(nodes));
    }
}

/// <summary>Numeric attribute columns of a graph's nodes, row-major: node i's values are <c>Values[i * Names.Count ..]</c>.</summary>
/// <param name="Names">The node-table columns, in order.</param>
/// <param name="Values">N × F values, all finite.</param>
public sealed record NodeAttributes(IReadOnlyList<string> Names, double[] Values)
{
    /// <summary>The attributes of <paramref name="nodes"/>, in that order.</summary>
    public NodeAttributes Rows(IReadOnlyList<int> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        int width = Names.Count;
        var values = new double[nodes.Count * width];
        for (int i = 0; i < nodes.Count; i++) Array.Copy(Values, nodes[i] * width, values, i * width, width);
        return new NodeAttributes(Names, values);
    }
}
