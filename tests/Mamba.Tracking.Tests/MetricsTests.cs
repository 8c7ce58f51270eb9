using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;
using Mamba.Tracking.Metrics;

namespace Mamba.Tracking.Tests;

/// <summary>TrackEval's definitions on cases small enough to compute by hand (derivations in the comments).</summary>
public sealed class MetricsTests
{
    private static readonly Box A = new(0, 0, 10, 10);
    private static readonly Box B = new(100, 0, 10, 10);

    private static MotRow Row(int frame, int id, Box box) => new(frame, id, box, 1);

    [Fact]
    public void Perfect_tracking_scores_one_everywhere()
    {
        var truth = Enumerable.Range(1, 4).SelectMany(f => new[] { Row(f, 1, A), Row(f, 2, B) }).ToList();
        var sequence = SequenceMatching.Build(truth, truth.Select(r => r with { Id = r.Id + 10 }));

        var (hota, clear, identity) = (Hota.Of(sequence), Clear.Of(sequence), Identity.Of(sequence));

        Assert.Equal(1, hota.Score, 12);
        Assert.Equal(1, hota.LocA, 12);
        Assert.Equal(1, clear.Mota, 12);
        Assert.Equal(1, identity.Idf1, 12);
    }

    [Fact]
    public void An_identity_swap_halves_IDF1_and_costs_two_switches()
    {
        // Two objects, four frames, exact boxes; the tracker swaps its ids from frame 3.
        var truth = Enumerable.Range(1, 4).SelectMany(f => new[] { Row(f, 1, A), Row(f, 2, B) }).ToList();
        var tracks = Enumerable.Range(1, 4).SelectMany(f => f <= 2
            ? new[] { Row(f, 7, A), Row(f, 8, B) }
            : new[] { Row(f, 8, A), Row(f, 7, B) }).ToList();
        var sequence = SequenceMatching.Build(truth, tracks);

        var (hota, clear, identity) = (Hota.Of(sequence), Clear.Of(sequence), Identity.Of(sequence));

        // CLEAR: 8 TP, both objects switch once: MOTA = (8 − 0 − 2) / 8.
        Assert.Equal(2, clear.IdSwitches);
        Assert.Equal(0.75, clear.Mota, 12);
        // Identity: each pairing shares 2 of 4 frames: IDTP 4, IDFN 4, IDFP 4, IDF1 = 4 / (4 + 2 + 2).
        Assert.Equal(4, identity.IdTruePositives);
        Assert.Equal(0.5, identity.Idf1, 12);
        // HOTA: every box a TP (DetA 1); each TP's identity pair has 2 matches of 4 + 4 − 2 boxes: AssA = 1/3.
        Assert.Equal(1, hota.DetA, 12);
        Assert.Equal(1.0 / 3, hota.AssA, 12);
        Assert.Equal(Math.Sqrt(1.0 / 3), hota.Score, 12);
    }

    [Theory]
    [InlineData(7, 0, 0.6, 0.8, 0.730296743340221)]
    [InlineData(8, 1, 0.4, 0.4, 0.516397779494322)]
    public void A_missed_frame_fragments_the_track(int idAfterGap, int switches, double mota, double idf1, double hota)
    {
        // One object over 5 frames, missed in frame 3 (where the tracker has a false positive far away); after the gap
        // the tracker keeps (7) or changes (8) its id.
        var truth = Enumerable.Range(1, 5).Select(f => Row(f, 1, A)).ToList();
        var tracks = new[] { Row(1, 7, A), Row(2, 7, A), Row(3, 9, B), Row(4, idAfterGap, A), Row(5, idAfterGap, A) };
        var sequence = SequenceMatching.Build(truth, tracks);

        var clear = Clear.Of(sequence);
        var identity = Identity.Of(sequence);
        var score = Hota.Of(sequence);

        // CLEAR: 4 TP, 1 FN, 1 FP: MOTA = (4 − 1 − switches) / 5.
        Assert.Equal(1, clear.Fragmentations);
        Assert.Equal(switches, clear.IdSwitches);
        Assert.Equal(mota, clear.Mota, 12);
        // Identity: same id IDTP 4 of 5 truth and 5 tracker boxes; new id IDTP 2.
        Assert.Equal(idf1, identity.Idf1, 12);
        // HOTA: DetA = 4 / 6. Same id: AssA = 4 / (5 + 4 − 4) = 0.8; new id: two pairs of 2 matches, 2 / (5 + 2 − 2) = 0.4.
        Assert.Equal(4.0 / 6, score.DetA, 12);
        Assert.Equal(hota, score.Score, 12);
    }

    [Fact]
    public void A_frame_without_tracker_boxes_does_not_break_the_previous_pairs()
    {
        // TrackEval skips such a frame for matching, so neither a fragmentation nor a switch-free resumption is counted.
        var truth = Enumerable.Range(1, 3).Select(f => Row(f, 1, A)).ToList();

        var clear = Clear.Of(SequenceMatching.Build(truth, [Row(1, 7, A), Row(3, 7, A)]));

        Assert.Equal(0, clear.Fragmentations);
        Assert.Equal(1, clear.FalseNegatives);
    }

    [Fact]
    public void Localisation_thresholds_count_a_half_overlap_for_alpha_up_to_one_half()
    {
        // IoU exactly 0.5: a match for α = 0.05…0.50 (10 of 19 thresholds), a miss and a false positive above.
        var sequence = SequenceMatching.Build([Row(1, 1, A)], [Row(1, 1, A with { Height = 5 })]);

        var hota = Hota.Of(sequence);

        Assert.Equal(10.0 / 19, hota.Score, 12);
        Assert.Equal((10 * 0.5 + 9 * 1.0) / 19, hota.LocA, 12);   // TrackEval's LocA is 1 where nothing matched
        Assert.Equal(0.5, Clear.Of(sequence).Motp, 12);
    }

    [Fact]
    public void Ground_truth_marked_not_evaluated_is_ignored()
    {
        var truth = new[] { Row(1, 1, A), Row(1, 2, B) with { Confidence = 0 }, Row(1, 3, B) with { Class = 7 } };

        var sequence = SequenceMatching.Build(truth, [Row(1, 5, A)]);

        Assert.Equal(1, sequence.TruthCount);
        Assert.Equal(1, Clear.Of(sequence).Mota, 12);
    }

    [Fact]
    public void Sequences_combine_by_counts()
    {
        var truth = Enumerable.Range(1, 5).Select(f => Row(f, 1, A)).ToList();
        var first = SequenceMatching.Build(truth, truth);
        var second = SequenceMatching.Build(truth, []);

        var hota = Hota.Of(first);
        hota.Add(Hota.Of(second));
        var identity = Identity.Of(first);
        identity.Add(Identity.Of(second));

        Assert.Equal(0.5, hota.DetA, 12);                 // 5 TP, 5 FN
        Assert.Equal(1, hota.AssA, 12);                   // AssA averages over TPs only
        Assert.Equal(5 / 7.5, identity.Idf1, 12);
    }
}
