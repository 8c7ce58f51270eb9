using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using Mamba.Genomics.Training;
using Mamba.Sdk.Training;

namespace Mamba.Genomics.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public static class GlobalRandomTests
{
    public const string Name = "global torch random state";
}

[Collection(GlobalRandomTests.Name)]
public sealed class PretrainingTests
{
    internal static DnaLanguageModel Tiny(Objective objective = Objective.Causal, string layers = "M1,M1", bool rcps = false)
    {
        TorchSharp.torch.random.manual_seed(1);
        return new DnaLanguageModel(new DnaModelSpec(objective, layers, ModelDim: 16, StateSize: 4, AttentionHeads: 2, rcps));
    }

    /// <summary>Synthetic genome: a random 50-base motif repeated with 5 % substitutions (order-0 entropy ≈ 2 bits).</summary>
    private static int[] RepetitiveGenome(int length, int seed)
    {
        var random = new Random(seed);
        var motif = Enumerable.Range(0, 50).Select(_ => "ACGT"[random.Next(4)]).ToArray();
        return NucleotideTokenizer.Encode(new string([.. Enumerable.Range(0, length).Select(i => random.NextDouble() < 0.05 ? "ACGT"[random.Next(4)] : motif[i % 50])]));
    }

    [Fact]
    public void Streaming_in_chunks_gives_the_bits_per_base_of_one_pass()
    {
        using var model = Tiny(layers: "M1,M2,A");
        var random = new Random(3);
        var region = NucleotideTokenizer.Encode(new string([.. Enumerable.Range(0, 301).Select(_ => "ACGTN"[random.Next(5)])]));

        var (whole, bases) = Pretraining.BitsPerBase(model.Causal, region, chunk: region.Length);
        var (chunked, chunkedBases) = Pretraining.BitsPerBase(model.Causal, region, chunk: 7);

        Assert.Equal(region.Count(t => t != NucleotideTokenizer.Unknown), bases);
        Assert.Equal(bases, chunkedBases);
        Assert.Equal(whole, chunked, 4);
    }

    [Fact]
    public void Causal_pretraining_learns_a_repetitive_genome()
    {
        using var model = Tiny();
        var tokens = RepetitiveGenome(20_000, 5);
        double before = Pretraining.BitsPerBase(model.Causal, tokens[18_000..], 512).BitsPerBase;

        Pretraining.Fit(TrainingRun.Detached(), "pretrain", model, [tokens[..16_000]], tokens[16_000..18_000], new GenomicsTrainingOptions { Window = 128, BatchSize = 8, StepsPerEpoch = 40, Epochs = 2, LearningRate = 5e-3 }, CancellationToken.None);
        double after = Pretraining.BitsPerBase(model.Causal, tokens[18_000..], 512).BitsPerBase;

        Assert.True(after < 0.75 * before, $"held-out bits per base {before:F3} before training, {after:F3} after");
    }

    [Fact]
    public void Masked_pretraining_lowers_the_masked_bits_per_base()
    {
        using var model = Tiny(Objective.Masked, "BM,BM", rcps: true);
        var tokens = RepetitiveGenome(12_000, 6);
        var options = new GenomicsTrainingOptions { Window = 128, BatchSize = 8, StepsPerEpoch = 30, Epochs = 2, LearningRate = 5e-3, ValidationBases = 2048 };

        var result = Pretraining.Fit(TrainingRun.Detached(), "pretrain", model, [tokens[..10_000]], tokens[10_000..], options, CancellationToken.None);
        var crops = Enumerable.Range(0, 8).Select(i => tokens[(10_000 + 128 * i)..(10_128 + 128 * i)]).ToArray();
        using var before = Tiny(Objective.Masked, "BM,BM", rcps: true);
        double untrained = Pretraining.MaskedBitsPerBase(before, [Pretraining.Mask(crops, new Random(9), 0.15)]);
        double trained = Pretraining.MaskedBitsPerBase(model, [Pretraining.Mask(crops, new Random(9), 0.15)]);

        Assert.True(trained < 0.75 * untrained, $"masked bits per base {untrained:F3} untrained, {trained:F3} trained (validation {result.BestValidationMetric:F3})");
    }

    [Fact]
    public void Masking_selects_about_15_percent_and_splits_them_80_10_10()
    {
        var windows = Enumerable.Range(0, 50).Select(s => RepetitiveGenome(1000, s)).ToArray();
        var (inputs, targets) = Pretraining.Mask(windows, new Random(2), 0.15);
        var input = inputs.data<long>().ToArray();
        var target = targets.data<long>().ToArray();
        var original = windows.SelectMany(w => w).ToArray();

        var selected = Enumerable.Range(0, original.Length).Where(i => target[i] != -100).ToArray();
        Assert.All(selected, i => Assert.Equal(original[i], target[i]));
        Assert.All(Enumerable.Range(0, original.Length).Except(selected), i => Assert.Equal(original[i], input[i]));
        double share = selected.Length / (double)original.Length;
        double masked = selected.Count(i => input[i] == NucleotideTokenizer.Mask) / (double)selected.Length;
        double kept = selected.Count(i => input[i] == original[i]) / (double)selected.Length;
        Assert.InRange(share, 0.14, 0.16);
        Assert.InRange(masked, 0.78, 0.82);
        Assert.InRange(kept, 0.10, 0.15);   // 10 % kept, plus a quarter of the 10 % random draws landing on the same base
    }
}
