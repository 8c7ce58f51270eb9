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

    private static List<Hit> Scored(params (string Id, double Score)[] hits) => [.. hits.Select(h => new Hit(h.Id, h.Score))];

    [Fact]
    public void Convex_fusion_sums_weighted_min_max_normalised_scores()
    {
        // BM25 normalised over 2..10: a 1, b 0.5, c 0; cosine over 0.1..0.9: c 1, a 0.5, d 0.
        var fused = ConvexCombination.Fuse([Scored(("a", 10), ("b", 6), ("c", 2)), Scored(("c", 0.9), ("a", 0.5), ("d", 0.1))], depth: 10, weights: [1, 0.6]);

        Assert.Equal(["a", "c", "b", "d"], fused.Select(h => h.Id));
        Assert.Equal([1.3, 0.6, 0.5, 0], fused.Select(h => Math.Round(h.Score, 12)));
    }

    [Fact]
    public void Convex_fusion_keeps_a_clear_lead_that_reciprocal_rank_fusion_gives_up()
    {
        List<IReadOnlyList<Hit>> rankings = [Scored(("a", 10), ("b", 2), ("c", 1.9)), Scored(("b", 0.9), ("c", 0.5), ("a", 0.1))];

        var convex = ConvexCombination.Fuse(rankings, depth: 10, weights: [1, 0.6]);
        var reciprocal = ReciprocalRankFusion.Fuse(rankings, depth: 10, k: 60, weights: [1, 0.6]);

        Assert.Equal("a", convex[0].Id);                  // BM25's margin (10 against 2) outweighs the dense ranking
        Assert.Equal("b", reciprocal[0].Id);              // ranks alone: 1/62 + 0.6/61 > 1/61 + 0.6/63
    }

    [Fact]
    public void Convex_fusion_lets_a_lightly_weighted_ranking_settle_a_near_tie()
    {
        var fused = ConvexCombination.Fuse([Scored(("a", 10), ("b", 9.9), ("c", 0)), Scored(("b", 0.9), ("c", 0.5), ("a", 0.1))], depth: 10, weights: [1, 0.1]);

        Assert.Equal(["b", "a", "c"], fused.Select(h => h.Id));
    }

    [Fact]
    public void A_convex_weight_of_zero_leaves_the_first_ranking_as_it_is_and_equal_scores_count_as_best()
    {
        var fused = ConvexCombination.Fuse([Scored(("a", 3), ("b", 2), ("c", 1)), Scored(("d", 0.9), ("c", 0.8))], depth: 10, weights: [1, 0]);
        var flat = ConvexCombination.Fuse([Scored(("a", 1), ("b", 1))], depth: 10);

        Assert.Equal(["a", "b", "c", "d"], fused.Select(h => h.Id));
        Assert.Equal([1.0, 1.0], flat.Select(h => h.Score));
        Assert.Throws<ArgumentException>(() => ConvexCombination.Fuse([Scored(("a", 1))], 10, [1, 1]));
    }
}
