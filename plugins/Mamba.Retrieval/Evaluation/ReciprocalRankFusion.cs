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
    public static List<Hit> Fuse(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, int k = 60, IReadOnlyList<double>? weights = null) =>
        FusedRanking.Sum(rankings, depth, weights, (ranking, weight) => ranking.Select((_, i) => weight / (k + i + 1)));
}
