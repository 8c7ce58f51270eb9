namespace Mamba.Graphs.Data;

/// <summary>Train / validation / test node indices of one run.</summary>
public sealed record NodeSplit(int[] Train, int[] Validation, int[] Test)
{
    /// <summary>
    /// The graph's own split column when it has one; otherwise a random split of the labelled nodes by
    /// <paramref name="seed"/>. Nodes are shuffled in id order, so the split of a node does not depend on where its row is.
    /// </summary>
    public static NodeSplit For(Graph graph, SplitOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        if (graph.Splits is { } splits)
        {
            int[] Where(string name) => [.. Enumerable.Range(0, graph.NodeCount).Where(i => splits[i] == name && graph.Labels[i] >= 0)];
            var fixedSplit = new NodeSplit(Where("train"), Where("val"), Where("test"));
            return fixedSplit.Train.Length > 0 && fixedSplit.Test.Length > 0
                ? fixedSplit
                : throw new InvalidOperationException($"{graph.Source}: the split column needs labelled 'train' and 'test' nodes");
        }
        var labelled = Enumerable.Range(0, graph.NodeCount).Where(i => graph.Labels[i] >= 0).OrderBy(i => graph.Ids[i], StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(labelled);
        int train = (int)Math.Round(options.Train * labelled.Length);
        int validation = (int)Math.Round(options.Validation * labelled.Length);
        if (train == 0 || validation == 0 || train + validation >= labelled.Length)
            throw new InvalidOperationException($"{graph.Source}: {labelled.Length} labelled nodes are too few for a {options.Train:P0}/{options.Validation:P0} split");
        return new NodeSplit(labelled[..train], labelled[train..(train + validation)], labelled[(train + validation)..]);
    }
}
