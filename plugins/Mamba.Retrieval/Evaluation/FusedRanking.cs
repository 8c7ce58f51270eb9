using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Evaluation;

/// <summary>What every fusion function shares: each ranking's weighted per-hit contributions, summed per passage.</summary>
internal static class FusedRanking
{
    /// <summary>
    /// The fused ranking, best first, cut to <paramref name="depth"/>; ties keep the order of first appearance. A
    /// passage's score is the sum, over the rankings that hold it, of what <paramref name="contributions"/> gives its hit
    /// there: one value per hit in rank order, for the ranking and its weight (<paramref name="weights"/>, one per
    /// ranking; null: all 1).
    /// </summary>
    public static List<Hit> Sum(IReadOnlyList<IReadOnlyList<Hit>> rankings, int depth, IReadOnlyList<double>? weights, Func<IReadOnlyList<Hit>, double, IEnumerable<double>> contributions)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        if (weights is not null && weights.Count != rankings.Count)
            throw new ArgumentException($"{weights.Count} weights for {rankings.Count} rankings", nameof(weights));
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int r = 0; r < rankings.Count; r++)
        {
            foreach (var (hit, contribution) in rankings[r].Zip(contributions(rankings[r], weights?[r] ?? 1)))
            {
                if (!scores.ContainsKey(hit.Id)) { scores[hit.Id] = 0; order.Add(hit.Id); }
                scores[hit.Id] += contribution;
            }
        }
        return [.. order.Select((id, first) => (id, first)).OrderByDescending(p => scores[p.id]).ThenBy(p => p.first).Take(depth).Select(p => new Hit(p.id, scores[p.id]))];
    }
}
