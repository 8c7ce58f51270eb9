using Mamba.Graphs.Data;

namespace Mamba.Graphs.Models;

/// <summary>
/// GMN's neighbourhood tokens for every node v: for each walk length l = 0…m, the subgraph induced by the nodes of M
/// random walks of length l from v (l = 0 is v alone). All N·(m+1) subgraphs are stored as one block-diagonal batch,
/// so a local message-passing layer runs on every token at once.
/// </summary>
public sealed class NeighbourhoodTokens
{
    private NeighbourhoodTokens(int nodes, int tokensPerNode, int[] members, int[] memberToken, int[] edgeSource, int[] edgeTarget, float[] edgeNorm)
    {
        Nodes = nodes;
        TokensPerNode = tokensPerNode;
        Members = members;
        MemberToken = memberToken;
        EdgeSource = edgeSource;
        EdgeTarget = edgeTarget;
        EdgeNorm = edgeNorm;
    }

    /// <summary>N.</summary>
    public int Nodes { get; }

    /// <summary>m + 1; token t = v·(m+1) + l.</summary>
    public int TokensPerNode { get; }

    /// <summary>Graph node of each subgraph member.</summary>
    public int[] Members { get; }

    /// <summary>Token each member belongs to.</summary>
    public int[] MemberToken { get; }

    /// <summary>Message edges between members (self-loops included), as member indices.</summary>
    public int[] EdgeSource { get; }

    /// <summary>Receiving member of each message edge.</summary>
    public int[] EdgeTarget { get; }

    /// <summary>GCN normalisation 1/√(dᵢdⱼ) within the token's subgraph (degrees count the self-loop).</summary>
    public float[] EdgeNorm { get; }

    /// <summary>
    /// Samples the tokens. Node v's walks draw from their own generator seeded by (<paramref name="seed"/>, v), so a seed
    /// gives the same tokens whatever the thread count; nodes are sampled in parallel.
    /// </summary>
    public static NeighbourhoodTokens Sample(Graph graph, int walkLength, int walksPerLength, int seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var perNode = new Subgraphs[graph.NodeCount];
        Parallel.For(0, graph.NodeCount, v =>
        {
            var random = new Random(unchecked(seed * 7_919 + v));
            var parts = new Subgraphs();
            var set = new List<int>();
            for (int l = 0; l <= walkLength; l++)
            {
                set.Clear();
                set.Add(v);
                for (int walk = 0; walk < (l == 0 ? 0 : walksPerLength); walk++)
                {
                    int at = v;
                    for (int step = 0; step < l; step++)
                    {
                        int degree = graph.Degree(at);
                        if (degree == 0) break;
                        at = graph.Neighbors[graph.Offsets[at] + random.Next(degree)];
                        if (!set.Contains(at)) set.Add(at);
                    }
                }
                parts.Add(graph, set, v * (walkLength + 1) + l);
            }
            perNode[v] = parts;
        });

        int memberCount = perNode.Sum(p => p.Members.Count), edgeCount = perNode.Sum(p => p.Source.Count);
        var members = new int[memberCount];
        var memberToken = new int[memberCount];
        var source = new int[edgeCount];
        var target = new int[edgeCount];
        var norm = new float[edgeCount];
        int m = 0, e = 0;
        foreach (var part in perNode)
        {
            part.Members.CopyTo(members, m);
            part.Tokens.CopyTo(memberToken, m);
            for (int k = 0; k < part.Source.Count; k++, e++)
                (source[e], target[e], norm[e]) = (part.Source[k] + m, part.Target[k] + m, part.Norm[k]);
            m += part.Members.Count;
        }
        return new NeighbourhoodTokens(graph.NodeCount, walkLength + 1, members, memberToken, source, target, norm);
    }

    /// <summary>One node's token subgraphs, member indices local to the node.</summary>
    private sealed class Subgraphs
    {
        public List<int> Members { get; } = [];

        public List<int> Tokens { get; } = [];

        public List<int> Source { get; } = [];

        public List<int> Target { get; } = [];

        public List<float> Norm { get; } = [];

        public void Add(Graph graph, List<int> nodes, int token) => AddSubgraph(graph, nodes, token, Members, Tokens, Source, Target, Norm);
    }

    private static void AddSubgraph(Graph graph, List<int> nodes, int token, List<int> members, List<int> memberToken, List<int> source, List<int> target, List<float> norm)
    {
        int first = members.Count;
        var degree = new int[nodes.Count];
        var edges = new List<(int, int)>();
        for (int i = 0; i < nodes.Count; i++)
        {
            members.Add(nodes[i]);
            memberToken.Add(token);
            edges.Add((i, i));
            for (int j = 0; j < nodes.Count; j++)
                if (i != j && IsNeighbor(graph, nodes[i], nodes[j])) edges.Add((j, i));
        }
        foreach (var (_, i) in edges) degree[i]++;
        foreach (var (j, i) in edges)
        {
            source.Add(first + j);
            target.Add(first + i);
            norm.Add(1f / MathF.Sqrt(degree[i] * degree[j]));
        }
    }

    private static bool IsNeighbor(Graph graph, int from, int to)
    {
        int lo = graph.Offsets[from], hi = graph.Offsets[from + 1] - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int value = graph.Neighbors[mid];
            if (value == to) return true;
            if (value < to) lo = mid + 1; else hi = mid - 1;
        }
        return false;
    }
}
