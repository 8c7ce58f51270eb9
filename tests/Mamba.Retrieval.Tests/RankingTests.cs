using Mamba.Retrieval.Evaluation;
using Mamba.Retrieval.Lexical;

namespace Mamba.Retrieval.Tests;

public sealed class RankingTests
{
    private static List<Hit> Ranking(params string[] ids) => [.. ids.Select((id, i) => new Hit(id, -i))];

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        var relevant = new Dictionary<string, Dictionary<string, int>>
        {
            ["q1"] = new() { ["b"] = 1 },                 // found at rank 2
            ["q2"] = new() { ["x"] = 2, ["y"] = 1 },      // x at rank 1, y at rank 3
            ["q3"] = new() { ["z"] = 1 },                 // never retrieved
        };
        var rankings = new Dictionary<string, List<Hit>>
        {
            ["q1"] = Ranking("a", "b", "c"),
            ["q2"] = Ranking("x", "a", "y"),
            ["q3"] = Ranking("a"),
        };

        var scores = RankingMetrics.Score(rankings, relevant);

        Assert.Equal((0.5 + 1 + 0) / 3, scores.Mrr10, 12);
        double q1 = (1 / Math.Log2(3)) / 1;
        double q2 = (3 + 1 / Math.Log2(4)) / (3 + 1 / Math.Log2(3));
        Assert.Equal((q1 + q2 + 0) / 3, scores.Ndcg10, 12);
        Assert.Equal((0 + 0.5 + 0) / 3, scores.Recall1, 12);
        Assert.Equal((1 + 1 + 0) / 3.0, scores.Recall10, 12);
        Assert.Equal(3, scores.Queries);
    }

    [Fact]
    public void Reciprocal_rank_stops_at_the_cutoff()
    {
        var ranked = Enumerable.Range(0, 20).Select(i => $"d{i}").ToList();

        Assert.Equal(0.1, RankingMetrics.ReciprocalRank(ranked, new Dictionary<string, int> { ["d9"] = 1 }, 10), 12);
        Assert.Equal(0, RankingMetrics.ReciprocalRank(ranked, new Dictionary<string, int> { ["d10"] = 1 }, 10));
    }

    [Fact]
    public void Fusion_sums_reciprocal_ranks_over_both_lists()
    {
        var fused = ReciprocalRankFusion.Fuse([Ranking("a", "b", "c"), Ranking("c", "a")], depth: 10, k: 60);

        Assert.Equal(["a", "c", "b"], fused.Select(h => h.Id));
        Assert.Equal(1.0 / 61 + 1.0 / 62, fused[0].Score, 12);
        Assert.Equal(1.0 / 63 + 1.0 / 61, fused[1].Score, 12);
        Assert.Equal(1.0 / 62, fused[2].Score, 12);
    }

    [Fact]
    public void A_weighted_fusion_scales_each_list_by_its_weight()
    {
        var fused = ReciprocalRankFusion.Fuse([Ranking("a", "b"), Ranking("b", "c")], depth: 10, k: 60, weights: [1, 0.5]);

        Assert.Equal(["b", "a", "c"], fused.Select(h => h.Id));
        Assert.Equal(1.0 / 62 + 0.5 / 61, fused[0].Score, 12);
        Assert.Equal(1.0 / 61, fused[1].Score, 12);
        Assert.Equal(0.5 / 62, fused[2].Score, 12);
    }

    [Fact]
    public void A_dense_weight_of_zero_leaves_the_first_ranking_as_it_is()
    {
        var fused = ReciprocalRankFusion.Fuse([Ranking("a", "b", "c"), Ranking("c", "b", "a")], depth: 10, k: 60, weights: [1, 0]);

        Assert.Equal(["a", "b", "c"], fused.Select(h => h.Id));
        Assert.Throws<ArgumentException>(() => ReciprocalRankFusion.Fuse([Ranking("a")], 10, 60, [1, 1]));
    }
}
