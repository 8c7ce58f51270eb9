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
    public void A_gzipped_vcf_gives_one_variant_per_substitution_allele_at_its_one_based_position_and_leaves_out_indels()
    {
        string path = Path.Combine(folder, "calls.vcf.gz");
        WriteGzip(path, "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
            "chr1\t1\trs1\tA\tG,T\t.\tPASS\t.\n" +   // two substitutions of the first base
            "chr1\t3\t.\tg\tc\t50\tPASS\tDP=9\n" +   // lower case is read as upper
            "chr1\t4\t.\tTA\tT\t.\tPASS\t.\n" +      // a deletion: left out
            "chr1\t6\t.\tC\t<DEL>,A\t.\tPASS\t.\n"); // a symbolic allele left out, its substitution kept
        var records = new Dictionary<string, SequenceRecord> { ["chr1"] = new("chr1", "", "ACGTACGTAC") };

        var (variants, skipped) = VariantFile.Read(path, records);

        Assert.Equal([new("chr1", 1, 'A', 'G'), new("chr1", 1, 'A', 'T'), new("chr1", 3, 'G', 'C'), new Variant("chr1", 6, 'C', 'A')], variants);
        Assert.Equal(2, skipped);
    }

    [Theory]
    [InlineData("chr1\t2\t.\tA\tT", "row 2, column 'REF': REF 'A' but chr1 reads 'C' at 2")]
    [InlineData("chrM\t2\t.\tC\tT", "row 2, column 'CHROM': no sequence record 'chrM'")]
    [InlineData("chr1\t11\t.\tC\tT", "row 2, column 'POS': '11' is not a position in 1…10")]
    public void A_vcf_record_that_does_not_fit_the_sequences_is_named_by_line_and_column(string record, string expected)
    {
        string path = Path.Combine(folder, "calls.vcf");
        File.WriteAllText(path, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" + record + "\t.\tPASS\t.\n");
        var records = new Dictionary<string, SequenceRecord> { ["chr1"] = new("chr1", "", "ACGTACGTAC") };

        var error = Assert.Throws<DataFormatException>(() => VariantFile.Read(path, records));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static void WriteGzip(string path, string text)
    {
        using var file = File.Create(path);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal);
        gzip.Write(System.Text.Encoding.UTF8.GetBytes(text));
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
