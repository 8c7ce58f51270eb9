using System.IO.Compression;
using Mamba.Genomics.Data;
using Mamba.Sdk.Data;

namespace Mamba.Genomics.Tests;

public sealed class SequenceReaderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sequences-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    private static async Task<List<SequenceRecord>> Read(string path, SequenceReaderOptions? options = null)
    {
        var records = new List<SequenceRecord>();
        await foreach (var record in SequenceReader.ReadAsync(path, options)) records.Add(record);
        return records;
    }

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task Bundled_genome_has_the_documented_length_and_base_counts()
    {
        var records = await Read(Path.Combine("data", "ct.fasta.gz"));

        var genome = Assert.Single(records);
        Assert.Equal("CHLTCG", genome.Id);
        Assert.Equal(1_042_519, genome.Bases.Length);
        // Counts from the data's SOURCES entry (A 306,721; C 215,232; G 215,404; T 305,162).
        Assert.Equal([306_721, 215_232, 215_404, 305_162], "ACGT".Select(b => genome.Bases.Count(c => c == b)));
    }

    [Fact]
    public async Task Comment_lines_are_skipped_and_lowercase_promoters_are_upper_cased()
    {
        var mito = Assert.Single(await Read(Path.Combine("data", "humanMito.fasta")));
        Assert.Equal(16_571, mito.Bases.Length);
        Assert.Equal([5_113, 5_192, 2_180, 4_086], "ACGT".Select(b => mito.Bases.Count(c => c == b)));

        var promoters = await Read(Path.Combine("data", "dm3_upstream2000_first3000.fa.gz"), new SequenceReaderOptions { KeepMask = true });
        Assert.Equal(3_000, promoters.Count);
        Assert.All(promoters, p => Assert.Equal(2_000, p.Bases.Length));
        Assert.All(promoters, p => Assert.True(p.Masked!.All(m => m), $"{p.Id} was lowercase in the file"));
        Assert.DoesNotContain(promoters, p => p.Bases.Any(char.IsLower));
    }

    [Fact]
    public async Task Multi_record_fasta_maps_ambiguity_to_N_and_records_the_soft_mask()
    {
        string path = Write("two.fa", ">one first record", "ACGTRY", "acgt", "", ">two", "NNuA");

        var records = await Read(path, new SequenceReaderOptions { KeepMask = true });

        Assert.Equal(["one", "two"], records.Select(r => r.Id));
        Assert.Equal("first record", records[0].Description);
        Assert.Equal("ACGTNNACGT", records[0].Bases);
        Assert.Equal([false, false, false, false, false, false, true, true, true, true], records[0].Masked!);
        Assert.Equal("NNTA", records[1].Bases);
    }

    [Fact]
    public async Task Rejecting_ambiguity_names_line_and_column()
    {
        string path = Write("amb.fa", ">x", "ACGT", "ACRT");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Read(path, new SequenceReaderOptions { Ambiguity = AmbiguityHandling.Reject }));

        Assert.Contains("row 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("column 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fastq_reads_gzip_by_content_and_checks_quality_lengths()
    {
        string path = Path.Combine(folder, "reads.fq");   // gzip without a .gz name
        await using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip))
            await writer.WriteAsync("@r1 lane 1\nACGTN\n+\nIIIII\n@r2\nGGCC\n+r2\n!!!!\n");

        var records = await Read(path);

        Assert.Equal(["r1", "r2"], records.Select(r => r.Id));
        Assert.Equal("IIIII", records[0].Qualities);
        Assert.Equal("GGCC", records[1].Bases);

        string bad = Write("bad.fq", "@r1", "ACGT", "+", "III");
        var error = await Assert.ThrowsAsync<DataFormatException>(() => Read(bad));
        Assert.Contains("3 quality values for 4 bases", error.Message, StringComparison.Ordinal);
    }

    private static async Task<byte[]> Gzip(string text)
    {
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        await using (var writer = new StreamWriter(gzip))
            await writer.WriteAsync(text);
        return buffer.ToArray();
    }

    private static string Genome(int lines, int seed)
    {
        var random = new Random(seed);
        var text = new System.Text.StringBuilder(">chr synthetic\n");
        for (int i = 0; i < lines; i++) text.Append(string.Concat(Enumerable.Range(0, 60).Select(_ => "ACGT"[random.Next(4)]))).Append('\n');
        return text.ToString();
    }

    [Fact]
    public async Task A_truncated_gzip_file_is_an_error_naming_it_not_a_shorter_sequence()
    {
        byte[] whole = await Gzip(Genome(5000, 1));                        // 300,000 synthetic bases
        string path = Path.Combine(folder, "cut.fa.gz");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 3)]);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Read(path));

        Assert.Equal(path, error.File);
        Assert.Contains("the gzip data is truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gzip_file_with_a_damaged_checksum_is_an_error()
    {
        byte[] bytes = await Gzip(Genome(50, 2));
        bytes[^8] ^= 0xFF;                                                  // the CRC-32 in the trailer
        string path = Path.Combine(folder, "crc.fa.gz");
        await File.WriteAllBytesAsync(path, bytes);

        await Assert.ThrowsAsync<DataFormatException>(() => Read(path));
    }

    [Fact]
    public async Task Concatenated_gzip_members_read_as_one_file_as_bgzip_writes_them()
    {
        string first = Genome(10, 3), second = Genome(10, 4).Replace(">chr", ">chr2", StringComparison.Ordinal);
        string path = Path.Combine(folder, "members.fa.gz");
        await File.WriteAllBytesAsync(path, [.. await Gzip(first), .. await Gzip(second)]);

        var records = await Read(path);

        Assert.Equal(["chr", "chr2"], records.Select(r => r.Id));
        Assert.Equal(600, records[1].Bases.Length);
    }

    [Theory]
    [InlineData("not-fasta.txt", new[] { "id,value", "1,2" }, "not FASTA or FASTQ")]
    [InlineData("empty-record.fa", new[] { ">a", "ACGT", ">b", ">c", "AC" }, "record 'b' has no bases")]
    [InlineData("gap.fa", new[] { ">a", "AC-GT" }, "'-' at column 3 is not a nucleotide")]
    [InlineData("no-plus.fq", new[] { "@r1", "ACGT", "IIII", "IIII" }, "must start with '+'")]
    public async Task Malformed_files_are_refused_with_the_reason(string name, string[] lines, string reason)
    {
        string path = Write(name, lines);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Read(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
