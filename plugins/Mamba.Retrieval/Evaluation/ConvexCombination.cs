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
    public static List<Hit> Fuse(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, IReadOnlyList<double>? weights = null) =>
        FusedRanking.Sum(rankings, depth, weights, Normalised);

    /// <summary>The ranking's scores mapped to [0, 1] by its own minimum and maximum (all 1 when they are equal), times <paramref name="weight"/>.</summary>
    private static IEnumerable<double> Normalised(IReadOnlyList<Hit> ranking, double weight)
    {
        if (ranking.Count == 0) return [];
        double min = ranking.Min(h => h.Score), range = ranking.Max(h => h.Score) - min;
        return ranking.Select(h => weight * (range > 0 ? (h.Score - min) / range : 1));
    }
}
