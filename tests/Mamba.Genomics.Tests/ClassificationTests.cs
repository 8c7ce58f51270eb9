using Mamba.Genomics.Classification;
using Mamba.Genomics.Data;
using Mamba.Genomics.Tokens;
using Mamba.Sdk.Data;
using Mamba.Sdk.Training;

namespace Mamba.Genomics.Tests;

[Collection(GlobalRandomTests.Name)]
public sealed class ClassificationTests
{
    private static SequenceRecord Upstream(string id, string chromosome, long start, string bases) =>
        new(id, FormattableString.Invariant($"{chromosome}:{start}-{start + bases.Length - 1}"), bases);

    /// <summary>Synthetic two-class set: GC-rich against AT-rich random sequences.</summary>
    private static List<LabelledSequence> Composition(int count, int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            int label = i % 2;
            string bases = new([.. Enumerable.Range(0, length).Select(_ => random.NextDouble() < (label == 1 ? 0.65 : 0.35) ? "GC"[random.Next(2)] : "AT"[random.Next(2)])]);
            return new LabelledSequence($"s{i}", $"s{i}", NucleotideTokenizer.Encode(bases), label);
        })];
    }

    [Fact]
    public void Mcc_and_accuracy_match_a_hand_computed_binary_case()
    {
        int[] actual = [1, 1, 1, 0, 0, 0, 0, 0], predicted = [1, 1, 0, 1, 0, 0, 0, 0];

        // TP 2, FN 1, FP 1, TN 4: MCC = (2·4 − 1·1) / √(3·3·5·5) = 7/15.
        Assert.Equal(7.0 / 15, ClassificationMetrics.MatthewsCorrelation(actual, predicted, 2), 12);
        Assert.Equal(6.0 / 8, ClassificationMetrics.Accuracy(actual, predicted), 12);
    }

    [Fact]
    public void Mcc_is_one_when_perfect_minus_one_when_inverted_and_zero_for_a_constant_guess()
    {
        int[] actual = [0, 1, 2, 2, 1, 0];

        Assert.Equal(1, ClassificationMetrics.MatthewsCorrelation(actual, actual, 3), 12);
        Assert.Equal(-1, ClassificationMetrics.MatthewsCorrelation([0, 0, 1, 1], [1, 1, 0, 0], 2), 12);
        Assert.Equal(0, ClassificationMetrics.MatthewsCorrelation(actual, [2, 2, 2, 2, 2, 2], 3), 12);
    }

    [Fact]
    public void Kmer_features_are_frequencies_per_k_and_skip_windows_with_n()
    {
        var features = KmerLogisticRegression.Features(NucleotideTokenizer.Encode("ACGTANAC"), 2);

        Assert.Equal(4 + 16, features.Length);
        Assert.Equal([3 / 7f, 2 / 7f, 1 / 7f, 1 / 7f], features[..4]);
        // 2-mers AC, CG, GT, TA and AC again (the N breaks the run): AC 2/5, CG, GT, TA 1/5 each.
        Assert.Equal(2 / 5f, features[4 + 0b00_01]);
        Assert.Equal(1 / 5f, features[4 + 0b01_10]);
        Assert.Equal(1 / 5f, features[4 + 0b10_11]);
        Assert.Equal(1 / 5f, features[4 + 0b11_00]);
        Assert.Equal(1f, features[4..].Sum(), 5);
    }

    [Fact]
    public void Promoter_windows_take_the_ends_drop_repeated_coordinates_and_group_overlaps()
    {
        string a = new string('A', 10) + new string('C', 10), b = new string('G', 10) + new string('T', 10), c = new string('C', 10) + new string('G', 10);
        SequenceRecord[] records =
        [
            Upstream("NM_1_up_20_chr2L_100_f", "chr2L", 100, a),
            Upstream("NM_2_up_20_chr2L_100_f", "chr2L", 100, a),     // another transcript, same coordinates
            Upstream("NM_3_up_20_chr2L_110_r", "chr2L", 110, b),     // overlaps NM_1 (110…129 vs 100…119)
            Upstream("NM_4_up_20_chr3R_100_f", "chr3R", 100, c),     // same numbers, other chromosome
        ];

        var set = LabelledSequences.FromPromoterWindows(records, 5, "upstream.fa");

        Assert.Equal(1, set.DroppedDuplicates);
        Assert.Equal(["distal", "promoter"], set.Classes);
        Assert.Equal(6, set.Sequences.Count);
        var first = set.Sequences.Where(s => s.Id.StartsWith("NM_1_", StringComparison.Ordinal)).ToArray();
        Assert.Equal("AAAAA", NucleotideTokenizer.Decode(first.Single(s => s.Label == 0).Tokens));
        Assert.Equal("CCCCC", NucleotideTokenizer.Decode(first.Single(s => s.Label == 1).Tokens));
        string Group(string prefix) => set.Sequences.First(s => s.Id.StartsWith(prefix, StringComparison.Ordinal)).Group;
        Assert.Equal(Group("NM_1_"), Group("NM_3_"));
        Assert.NotEqual(Group("NM_1_"), Group("NM_4_"));
    }

    [Fact]
    public void Promoter_windows_need_coordinates_and_two_windows_of_bases()
    {
        var missing = Assert.Throws<DataFormatException>(() => LabelledSequences.FromPromoterWindows([new SequenceRecord("x", "no place", new string('A', 40))], 5, "u.fa"));
        var tooShort = Assert.Throws<DataFormatException>(() => LabelledSequences.FromPromoterWindows([Upstream("y", "chr1", 1, "ACGTACG")], 5, "u.fa"));

        Assert.Contains("record 'x'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("record 'y' has 7 bases", tooShort.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_keeps_groups_and_identical_sequences_on_one_side()
    {
        var sequences = Composition(200, 30, 1).Select((s, i) => s with { Group = $"g{i / 4}" }).ToList();
        sequences.Add(sequences[0] with { Id = "copy", Group = "elsewhere" });
        var split = LabelledSequences.Split(new LabelledSet(sequences, ["at", "gc"], 0), 0.6, 0.2, seed: 3);

        var side = new Dictionary<string, int>();
        foreach (var (part, index) in new[] { (split.Train, 0), (split.Validation, 1), (split.Test, 2) })
            foreach (var s in part) Assert.Equal(index, side.TryAdd(s.Group, index) ? index : side[s.Group]);
        Assert.Equal(sequences.Count, split.Train.Length + split.Validation.Length + split.Test.Length);
        Assert.Single(new[] { split.Train, split.Validation, split.Test }, part => part.Any(s => s.Id is "s0" or "copy") && part.Count(s => s.Id is "s0" or "copy") == 2);
        Assert.Equal(50, split.Groups);
        Assert.InRange(split.Test.Length, 30, 50);
    }

    [Fact]
    public void Kmer_regression_separates_base_composition()
    {
        var data = Composition(300, 60, 2);

        var model = KmerLogisticRegression.Select(data[..200], data[200..250], 2, 2, CancellationToken.None);
        double accuracy = ClassificationMetrics.Accuracy([.. data[250..].Select(s => s.Label)], model.Predict(data[250..]));

        Assert.True(accuracy >= 0.9, $"test accuracy {accuracy:F3} (k ≤ {model.MaxK}, L2 {model.Penalty})");
    }

    [Fact]
    public void Mamba_classifier_learns_base_composition_and_keeps_its_best_epoch()
    {
        var data = Composition(240, 40, 4);
        using var classifier = new SequenceClassifier(PretrainingTests.Tiny(Models.Objective.Masked, "BM", rcps: true), 2, 0.0, rcConjoin: false);

        var result = ClassifierTraining.Fit(TrainingRun.Detached(), "classify", classifier, data[..160], data[160..200], new GenomicsClassifyOptions { Epochs = 6, BatchSize = 16, LearningRate = 5e-3, Patience = 6 }, CancellationToken.None);
        double accuracy = ClassificationMetrics.Accuracy([.. data[200..].Select(s => s.Label)], ClassifierTraining.Predict(ClassifierTraining.Probabilities(classifier, data[200..], 16)));

        Assert.True(accuracy >= 0.85, $"test accuracy {accuracy:F3} after {result.EpochsRun} epochs (best validation loss {result.BestValidationMetric:F3})");
    }
}
