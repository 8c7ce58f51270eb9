using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Evaluation;

/// <summary>Mean scores of a run over its queries.</summary>
public sealed record RankingScores(double Mrr10, double Ndcg10, double Recall1, double Recall10, double Recall100, int Queries);

/// <summary>
/// MRR@10 (reciprocal rank of the first relevant passage, 0 beyond rank 10), nDCG@10 (gain 2^grade − 1, log2 discount,
/// normalised by the ideal ordering of the judged passages) and Recall@k (share of the relevant passages in the top k),
/// averaged over the queries that have a relevant passage. A query with no hits scores 0.
/// </summary>
public static class RankingMetrics
{
    /// <summary>Scores <paramref name="rankings"/> (query id → hits, best first) against <paramref name="relevant"/> (query id → passage id → grade).</summary>
    public static RankingScores Score(IReadOnlyDictionary<string, List<Hit>> rankings, IReadOnlyDictionary<string, Dictionary<string, int>> relevant)
    {
        ArgumentNullException.ThrowIfNull(rankings);
        ArgumentNullException.ThrowIfNull(relevant);
        double mrr = 0, ndcg = 0, r1 = 0, r10 = 0, r100 = 0;
        foreach (var (query, grades) in relevant)
        {
            var ranked = rankings.TryGetValue(query, out var hits) ? hits.Select(h => h.Id).ToList() : [];
            mrr += ReciprocalRank(ranked, grades, 10);
            ndcg += Ndcg(ranked, grades, 10);
            r1 += Recall(ranked, grades, 1);
            r10 += Recall(ranked, grades, 10);
            r100 += Recall(ranked, grades, 100);
        }
        int n = relevant.Count;
        return n == 0 ? new RankingScores(0, 0, 0, 0, 0, 0) : new RankingScores(mrr / n, ndcg / n, r1 / n, r10 / n, r100 / n, n);
    }

    /// <summary>1 / rank of the first relevant passage within the top <paramref name="k"/>, else 0.</summary>
    public static double ReciprocalRank(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades, int k)
    {
        for (int i = 0; i < Math.Min(k, ranked.Count); i++)
            if (grades.ContainsKey(ranked[i])) return 1.0 / (i + 1);
        return 0;
    }

    /// <summary>DCG of the top <paramref name="k"/> over the DCG of the best possible top k.</summary>
    public static double Ndcg(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades, int k)
    {
        double dcg = 0;
        for (int i = 0; i < Math.Min(k, ranked.Count); i++)
            if (grades.TryGetValue(ranked[i], out int grade)) dcg += (Math.Pow(2, grade) - 1) / Math.Log2(i + 2);
        double ideal = grades.Values.OrderDescending().Take(k).Select((grade, i) => (Math.Pow(2, grade) - 1) / Math.Log2(i + 2)).Sum();
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>Share of the relevant passages found in the top <paramref name="k"/>.</summary>
    public static double Recall(IReadOnlyList<string> ranked, IReadOnlyDictionary<string, int> grades, int k) =>
        grades.Count == 0 ? 0 : (double)ranked.Take(k).Count(grades.ContainsKey) / grades.Count;
}
