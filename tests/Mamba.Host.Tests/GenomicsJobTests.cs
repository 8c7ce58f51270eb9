using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

/// <summary>The bundled genomics plugin's jobs through the real host at tiny sizes (the quality runs are docs/results/genomics.md).</summary>
public sealed class GenomicsJobTests : IDisposable
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Genomics", "jobs");
    private static readonly string[] TinyModel =
    [
        "--set", "model.dModel=16", "--set", "model.attentionHeads=2", "--set", "model.layers=M2,A",
        "--set", "training.window=128", "--set", "training.batchSize=4", "--set", "training.stepsPerEpoch=10", "--set", "training.epochs=1",
    ];
    private readonly string root = Directory.CreateTempSubdirectory("mamba-genomics-").FullName;

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), extra);

    [Fact]
    public async Task Pretrained_model_evaluates_embeds_scores_variants_and_generates()
    {
        // The downstream jobs name run:mito-pretrain/latest: before that job has run, they say so and run nothing.
        var (early, _, earlyErrors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mito-evaluate.json"), "--out", Path.Combine(root, "runs")]);
        Assert.Equal(2, early);
        Assert.Contains("options.model.weights: run:mito-pretrain/latest: job 'mito-pretrain' has no successful run", earlyErrors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root, "runs", "mito-evaluate")) && Directory.EnumerateDirectories(Path.Combine(root, "runs", "mito-evaluate")).Any());

        string pretrained = Run("mito-pretrain.json", TinyModel);
        Assert.True(File.Exists(Path.Combine(pretrained, "models", "language-model", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(pretrained, "validation.png")));

        string evaluation = Run("mito-evaluate.json");
        Assert.Equal(pretrained, (string)PluginWorkspace.ReadJson(Path.Combine(evaluation, "job.json"))["options"]!["model"]!["weights"]!);
        var evaluated = JsonNode.Parse(File.ReadAllText(Path.Combine(evaluation, "metrics.json")))!;
        // Ten steps of a tiny model: below the untrained bound of a uniform guess over the 9 tokens, not yet near Markov.
        Assert.InRange((double)evaluated["model"]!["bitsPerBase"]!, 1.0, Math.Log2(9));
        Assert.InRange((double)evaluated["markov"]!["bitsPerBase"]!, 1.0, 2.5);
        Assert.Equal(16571 - (int)(16571 * 0.9), (int)evaluated["testBases"]!);

        Assert.True(new FileInfo(Path.Combine(Run("mito-embed.json"), "embeddings.parquet")).Length > 0);
        var fromCsv = await ParquetTable.ReadAsync(Path.Combine(Run("mito-score-variants.json"), "variants.parquet"));
        // The bundled CSV's variants as a user's VCF would hold them (1-based POS, the FASTA id as CHROM), plus an indel.
        string csv = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Genomics", "data", "mito-variants.csv");
        string vcf = Path.Combine(root, "mito.vcf");
        File.WriteAllLines(vcf, ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
            .. File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Select(c => $"{c[0]}\t{c[1]}\t.\t{c[2]}\t{c[3]}\t.\tPASS\t."),
            $"{File.ReadLines(csv).Skip(1).First().Split(',')[0]}\t2000\t.\tT\tTA\t.\tPASS\t."]);
        var fromVcf = await ParquetTable.ReadAsync(Path.Combine(Run("mito-score-variants.json", "--set", $"variants.file={vcf}"), "variants.parquet"));
        Assert.Equal(fromCsv.Select(c => c.Name), fromVcf.Select(c => c.Name));
        Assert.All(fromCsv.Zip(fromVcf), pair => Assert.Equal(pair.First.Values, pair.Second.Values));

        var fasta = File.ReadAllLines(Path.Combine(Run("mito-generate.json", "--set", "generate.length=50"), "generated.fasta"));
        Assert.Equal(4, fasta.Count(l => l.StartsWith('>')));
        Assert.All(fasta.Where(l => l.StartsWith('>')), l => Assert.Contains("model-generated", l, StringComparison.Ordinal));
        Assert.All(fasta.Where(l => !l.StartsWith('>')), l => Assert.Matches("^[ACGT]+$", l));
    }

    [Fact]
    public void A_file_that_is_not_fasta_fails_naming_it()
    {
        string notFasta = Path.Combine(root, "table.csv");
        File.WriteAllText(notFasta, "id,value\n1,2\n");

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mito-pretrain.json"), "--out", Path.Combine(root, "runs"), "--set", $"data.sequences={notFasta}", .. TinyModel]);

        Assert.Equal(1, code);
        Assert.Contains(notFasta, errors, StringComparison.Ordinal);
        Assert.Contains("FASTA", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_record_fails_naming_it()
    {
        string fasta = Path.Combine(root, "empty-record.fa");
        File.WriteAllText(fasta, ">full\nACGTACGTACGT\n>hollow\n>next\nACGT\n");

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mito-pretrain.json"), "--out", Path.Combine(root, "runs"), "--set", $"data.sequences={fasta}", .. TinyModel]);

        Assert.Equal(1, code);
        Assert.Contains("'hollow' has no bases", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Sequences_shorter_than_the_window_are_refused_naming_the_option()
    {
        string fasta = Path.Combine(root, "short.fa");
        File.WriteAllText(fasta, ">short\n" + new string('A', 100) + "\n");

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mito-pretrain.json"), "--out", Path.Combine(root, "runs"), "--set", $"data.sequences={fasta}", .. TinyModel]);

        Assert.Equal(2, code);
        Assert.Contains("options.training.window", errors, StringComparison.Ordinal);
        Assert.Contains("the longest has 85", errors, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
