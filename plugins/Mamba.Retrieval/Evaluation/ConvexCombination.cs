using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Evaluation;

/// <summary>
/// Score fusion by a convex combination of min-max normalised scores (Bruch, Gai and Ingber, "An Analysis of Fusion
/// Functions for Hybrid Retrieval", 2023): each ranking's scores are mapped to [0, 1] over its own hits, and a
/// passage's fused score is Σ wᵢ · normalisedᵢ (0 from a ranking that does not hold it). With weights [1, w] it ranks
/// as the convex combination with α = w / (1 + w). Unlike reciprocal-rank fusion it keeps the size of each retriever's
/// margins: a clear BM25 lead survives a weak dense ranking that disagrees, while BM25's near-ties are settled by it.
/// </summary>
public static class ConvexCombination
{
    /// <summary>
    /// The fused ranking, best first, cut to <paramref name="depth"/>; ties keep the order of first appearance.
    /// <paramref name="weights"/> gives one weight per ranking (null: all 1). A ranking whose hits all score the same
    /// gives each of them 1.
    /// </summary>
    public static List<Hit> Fuse(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, IReadOnlyList<double>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        if (weights is not null && weights.Count != rankings.Count)
            throw new ArgumentException($"{weights.Count} weights for {rankings.Count} rankings", nameof(weights));
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int r = 0; r < rankings.Count; r++)
        {
            var ranking = rankings[r];
            if (ranking.Count == 0) continue;
            double weight = weights?[r] ?? 1;
            double min = ranking.Min(h => h.Score), range = ranking.Max(h => h.Score) - min;
            foreach (var hit in ranking)
            {
                if (!scores.ContainsKey(hit.Id)) { scores[hit.Id] = 0; order.Add(hit.Id); }
                scores[hit.Id] += weight * (range > 0 ? (hit.Score - min) / range : 1);
            }
        }
        return [.. order.Select((id, first) => (id, first)).OrderByDescending(p => scores[p.id]).ThenBy(p => p.first).Take(depth).Select(p => new Hit(p.id, scores[p.id]))];
    }
}
