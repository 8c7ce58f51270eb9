using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Evaluation;

/// <summary>
/// Reciprocal-rank fusion (Cormack, Clarke and Büttcher, 2009): a passage's fused score is Σ wᵢ / (k + rankᵢ) over the
/// rankings that contain it (ranks from 1; k = 60 as in the paper; every weight 1 in the paper's form). Scores of
/// different retrievers never need to be comparable, which is why it is the usual way to combine BM25 with a dense
/// retriever; a weight below 1 lets a weaker ranking break ties and reorder near-misses without overruling a stronger one.
/// </summary>
public static class ReciprocalRankFusion
{
    /// <summary>
    /// The fused ranking, best first, cut to <paramref name="depth"/>; ties keep the order of first appearance.
    /// <paramref name="weights"/> gives one weight per ranking (null: all 1).
    /// </summary>
    public static List<Hit> Fuse(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, int k = 60, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        if (weights is not null && weights.Count != rankings.Count)
            throw new ArgumentException($"{weights.Count} weights for {rankings.Count} rankings", nameof(weights));
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int r = 0; r < rankings.Count; r++)
        {
            var ranking = rankings[r];
            double weight = weights?[r] ?? 1;
            for (int i = 0; i < ranking.Count; i++)
            {
                if (!scores.ContainsKey(ranking[i].Id)) { scores[ranking[i].Id] = 0; order.Add(ranking[i].Id); }
                scores[ranking[i].Id] += weight / (k + i + 1);
            }
        }
        return [.. order.Select((id, first) => (id, first)).OrderByDescending(p => scores[p.id]).ThenBy(p => p.first).Take(depth).Select(p => new Hit(p.id, scores[p.id]))];
    }
}
