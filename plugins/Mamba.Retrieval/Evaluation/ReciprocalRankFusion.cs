using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Evaluation;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke and Büttcher, 2009): a passage's fused score is Σ 1 / (k + rank) over the
/// rankings that contain it (ranks from 1; k = 60 as in the paper). Scores of different retrievers never need to be
/// comparable, which is why it is the usual way to combine BM25 with a dense retriever.
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>The fused ranking, best first, cut to <paramref name="depth"/>; ties keep the order of first appearance.</summary>
    public static List<Hit> Fuse(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, int k = 60)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var ranking in rankings)
            for (int i = 0; i < ranking.Count; i++)
            {
                if (!scores.ContainsKey(ranking[i].Id)) { scores[ranking[i].Id] = 0; order.Add(ranking[i].Id); }
                scores[ranking[i].Id] += 1.0 / (k + i + 1);
            }
        return [.. order.Select((id, first) => (id, first)).OrderByDescending(p => scores[p.id]).ThenBy(p => p.first).Take(depth).Select(p => new Hit(p.id, scores[p.id]))];
    }
}
