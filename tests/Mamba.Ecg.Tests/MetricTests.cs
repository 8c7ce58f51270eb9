using Mamba.Ecg.Metrics;

namespace Mamba.Ecg.Tests;

public sealed class MetricTests
{
    private static readonly ChallengeScore Challenge = ChallengeScore.Load(Path.Combine("data", "challenge2021", "weights.csv"));

    private static bool[] Codes(params string[] codes) => Challenge.Encode(codes);

    [Fact]
    public void Auroc_and_auprc_match_a_hand_computed_case()
    {
        bool[][] labels = [[true], [false], [true], [false]];
        double[][] outputs = [[0.9], [0.8], [0.4], [0.1]];

        var (auroc, auprc) = MultilabelMetrics.AreasUnderCurves(labels, outputs);

        // AUROC: 3 of the 4 (positive, negative) pairs are ordered correctly. AUPRC: recall 0 → ½ at precision 1,
        // then ½ → 1 at precision ⅔: ½ + ⅓.
        Assert.Equal(0.75, auroc.Macro, 12);
        Assert.Equal(0.5 + 1.0 / 3, auprc.Macro, 12);
    }

    [Fact]
    public void Tied_outputs_form_one_step_and_classes_without_positives_are_left_out_of_the_macro()
    {
        bool[][] labels = [[true, false], [false, false], [true, false], [false, false]];
        double[][] outputs = [[0.5, 0.1], [0.5, 0.2], [0.2, 0.3], [0.1, 0.4]];

        var (auroc, _) = MultilabelMetrics.AreasUnderCurves(labels, outputs);

        // Class 0: the tie at 0.5 holds a positive and a negative: the curve moves diagonally (half a pair correct).
        // Pairs: (0.5,0.5) ½, (0.5,0.1) 1, (0.2,0.5) 0, (0.2,0.1) 1 → 2.5 / 4.
        Assert.Equal(0.625, auroc.PerClass[0], 12);
        Assert.True(double.IsNaN(auroc.PerClass[1]));
        Assert.Equal(0.625, auroc.Macro, 12);
    }

    [Fact]
    public void F_measure_is_two_tp_over_two_tp_plus_errors_per_class()
    {
        bool[][] labels = [[true, false], [true, true], [false, true]];
        bool[][] outputs = [[true, true], [false, true], [false, false]];

        var f = MultilabelMetrics.FMeasure(labels, outputs);

        // Class 0: TP 1, FN 1 → 2/3. Class 1: TP 1, FP 1, FN 1 → 2/4.
        Assert.Equal(2.0 / 3, f.PerClass[0], 12);
        Assert.Equal(0.5, f.PerClass[1], 12);
        Assert.Equal((2.0 / 3 + 0.5) / 2, f.Macro, 12);
    }

    [Fact]
    public void Tuned_threshold_is_the_output_that_maximises_f()
    {
        bool[][] labels = [[true], [true], [false], [true], [false]];
        double[][] outputs = [[0.9], [0.7], [0.6], [0.3], [0.2]];

        // Thresholds 0.9: F 2/4, 0.7: 4/5, 0.6: 4/6, 0.3: 6/7, 0.2: 6/8 → 0.3.
        Assert.Equal(0.3, MultilabelMetrics.TuneThresholds(labels, outputs)[0]);
    }

    [Fact]
    public void Challenge_weights_have_26_classes_with_the_equivalences_merged()
    {
        Assert.Equal(26, Challenge.Classes.Count);
        Assert.Equal(Challenge.ClassOf("59118001"), Challenge.ClassOf("713427006"));     // RBBB ≡ CRBBB
        Assert.Equal(Challenge.ClassOf("284470004"), Challenge.ClassOf("63593006"));     // PAC ≡ SVPB
        Assert.Equal(Challenge.ClassOf("427172004"), Challenge.ClassOf("17338001"));     // PVC ≡ VPB
        Assert.Equal(Challenge.ClassOf("733534002"), Challenge.ClassOf("164909002"));    // CLBBB ≡ LBBB
        Assert.Null(Challenge.ClassOf("55930002"));                                        // ST changes: not scored
    }

    [Fact]
    public void Challenge_score_matches_a_hand_computed_case()
    {
        // Record 1: AF, answered AF. Record 2: sinus rhythm, answered sinus rhythm and AF.
        // W(AF, AF) = W(NSR, NSR) = 1; W(NSR, AF) = W(AF, NSR) = 0.25 in the 2021 table.
        bool[][] labels = [Codes("164889003"), Codes(ChallengeScore.SinusRhythm)];
        bool[][] outputs = [Codes("164889003"), Codes(ChallengeScore.SinusRhythm, "164889003")];

        // Observed: 1 + ½·1 + ½·0.25 = 1.625. Perfect: 2. All sinus rhythm: ½·0.25 + 1 = 1.125.
        Assert.Equal((1.625 - 1.125) / (2 - 1.125), Challenge.Score(labels, outputs), 12);
    }

    [Fact]
    public void Challenge_score_is_one_for_the_truth_even_through_equivalent_codes_and_zero_for_sinus_rhythm()
    {
        bool[][] labels = [Codes("59118001", "164889003"), Codes("426177001")];
        bool[][] equivalent = [Codes("713427006", "164889003"), Codes("426177001")];
        bool[][] sinus = [Codes(ChallengeScore.SinusRhythm), Codes(ChallengeScore.SinusRhythm)];

        Assert.Equal(1, Challenge.Score(labels, equivalent), 12);
        Assert.Equal(0, Challenge.Score(labels, sinus), 12);
    }
}
