using Mamba.Genomics.Data;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tasks;
using Mamba.Genomics.Tokens;
using Mamba.Genomics.Training;
using Mamba.Sdk.Data;

namespace Mamba.Genomics.Tests;

[Collection(GlobalRandomTests.Name)]
public sealed class SequenceTaskTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mamba-genomics-").FullName;

    private static int[] RandomBases(int length, int seed)
    {
        var random = new Random(seed);
        return NucleotideTokenizer.Encode(new string([.. Enumerable.Range(0, length).Select(_ => "ACGT"[random.Next(4)])]));
    }

    [Theory]
    [InlineData(Objective.Causal, "M1,A")]
    [InlineData(Objective.Masked, "BM")]
    public void Swapping_ref_and_alt_negates_the_likelihood_ratio(Objective objective, string layers)
    {
        using var model = PretrainingTests.Tiny(objective, layers);
        var tokens = RandomBases(200, 1);
        char reference = NucleotideTokenizer.Decode(tokens.AsSpan(99, 1))[0], alternative = reference == 'A' ? 'G' : 'A';
        var mutated = (int[])tokens.Clone();
        mutated[99] = NucleotideTokenizer.Encode([alternative])[0];

        double forwards = VariantScoring.LogLikelihoodRatio(model, tokens, new Variant("r", 100, reference, alternative), 30);
        double backwards = VariantScoring.LogLikelihoodRatio(model, mutated, new Variant("r", 100, alternative, reference), 30);

        Assert.NotEqual(0, forwards);
        Assert.Equal(-forwards, backwards, 4);
    }

    [Fact]
    public void Causal_ratio_counts_every_base_of_the_window_after_the_change()
    {
        using var model = PretrainingTests.Tiny();
        var tokens = RandomBases(120, 2);
        char reference = NucleotideTokenizer.Decode(tokens.AsSpan(59, 1))[0], alternative = reference == 'C' ? 'T' : 'C';

        double narrow = VariantScoring.LogLikelihoodRatio(model, tokens, new Variant("r", 60, reference, alternative), 0);
        double wide = VariantScoring.LogLikelihoodRatio(model, tokens, new Variant("r", 60, reference, alternative), 20);

        Assert.NotEqual(narrow, wide, 6);
    }

    [Theory]
    [InlineData("record,position,ref,alt\nchrX,3,G,T\n", "row 2, column 'record'")]
    [InlineData("record,position,ref,alt\nchr1,11,A,T\n", "row 2, column 'position'")]
    [InlineData("record,position,ref,alt\nchr1,2,A,T\n", "row 2, column 'ref': 'A' but chr1 has 'C' at 2")]
    [InlineData("record,position,ref,alt\nchr1,1,A,A\n", "row 2, column 'alt'")]
    [InlineData("chrom,pos\n", "header")]
    [InlineData("record,position,ref,alt\n", "no variants")]
    public void Variant_files_are_checked_against_the_sequences(string text, string expected)
    {
        string path = Path.Combine(folder, "variants.csv");
        File.WriteAllText(path, text);
        var records = new Dictionary<string, SequenceRecord> { ["chr1"] = new("chr1", "", "ACGTACGTAC") };

        var error = Assert.Throws<DataFormatException>(() => VariantFile.Read(path, records));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Streamed_causal_embedding_equals_the_one_pass_mean()
    {
        using var model = PretrainingTests.Tiny(layers: "M1,M2");
        var tokens = RandomBases(301, 3);

        var whole = SequenceEmbedding.Of(model, tokens, chunk: 301, window: 301);
        var chunked = SequenceEmbedding.Of(model, tokens, chunk: 13, window: 301);

        Assert.Equal(whole.Length, chunked.Length);
        Assert.All(whole.Zip(chunked), p => Assert.Equal(p.First, p.Second, 4));
    }

    [Fact]
    public void Sampling_is_deterministic_per_seed_and_yields_bases_only()
    {
        using var model = PretrainingTests.Tiny();
        var prompt = NucleotideTokenizer.Encode("ACGTT");

        string first = Sampling.Sample(model.Causal, prompt, 64, 1.0, seed: 7, CancellationToken.None);
        string again = Sampling.Sample(model.Causal, prompt, 64, 1.0, seed: 7, CancellationToken.None);
        string other = Sampling.Sample(model.Causal, prompt, 64, 1.0, seed: 8, CancellationToken.None);

        Assert.Equal(64, first.Length);
        Assert.Matches("^[ACGT]+$", first);
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
