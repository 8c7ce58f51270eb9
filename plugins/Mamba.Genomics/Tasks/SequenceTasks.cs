using System.Globalization;
using Mamba.Core.Blocks;
using Mamba.Genomics.Data;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Genomics.Tasks;

/// <summary>
/// One mean-pooled embedding per record to <c>embeddings.parquet</c> (<c>id</c>, <c>length</c>, <c>e0…</c>). A causal
/// model streams each record through its recurrent state in chunks (memory independent of the length); a
/// bidirectional one averages windows of <c>training.window</c> bases. <c>evaluation.strandAverage</c> averages each
/// record's embedding with its reverse complement's.
/// </summary>
[JobTask("embed", Description = "Per-sequence embeddings to Parquet")]
public sealed class EmbedTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        if (options.Model.Weights is null) throw new JobOptionsException("options.model.weights", "embed needs a pretrained model: the run folder of a pretrain job");
        var records = await GenomicsPipeline.ReadRecordsAsync(context, options.Data, cancellation);
        using var model = GenomicsPipeline.CreateOrLoad(context, options.Model);
        model.eval();
        var embeddings = new List<float[]>();
        using (var bar = context.Progress.Start("embed", records.Count))
        {
            foreach (var record in records)
            {
                cancellation.ThrowIfCancellationRequested();
                var tokens = NucleotideTokenizer.Encode(record.Bases);
                var embedding = SequenceEmbedding.Of(model, tokens, options.Evaluation.Chunk, options.Training.Window);
                if (options.Evaluation.StrandAverage)
                {
                    var reverse = SequenceEmbedding.Of(model, NucleotideTokenizer.ReverseComplement(tokens), options.Evaluation.Chunk, options.Training.Window);
                    for (int i = 0; i < embedding.Length; i++) embedding[i] = (embedding[i] + reverse[i]) / 2;
                }
                embeddings.Add(embedding);
                bar.Report(embeddings.Count, record.Id);
            }
        }
        var columns = new List<ParquetColumn>
        {
            new("id", records.Select(r => r.Id).ToArray()),
            new("length", records.Select(r => (double)r.Bases.Length).ToArray()),
        };
        for (int d = 0; d < model.FeatureDim; d++) columns.Add(new(FormattableString.Invariant($"e{d}"), embeddings.Select(e => (double)e[d]).ToArray()));
        await context.Artifacts.WriteParquetAsync("embeddings.parquet", columns, cancellation: cancellation);
    }
}

/// <summary>Mean-pooled sequence embeddings of any length.</summary>
public static class SequenceEmbedding
{
    /// <summary>
    /// The mean of the model's per-base features over <paramref name="tokens"/>: streamed in chunks through the
    /// recurrent state for a causal model, window by window for a bidirectional one.
    /// </summary>
    public static float[] Of(DnaLanguageModel model, int[] tokens, int chunk, int window)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        using var noGrad = no_grad();
        using var sum = zeros(model.FeatureDim);
        if (model.Spec.Objective == Objective.Causal)
        {
            BackboneStateHolder state = new();
            for (int start = 0; start < tokens.Length; start += chunk)
            {
                using var scope = NewDisposeScope();
                int length = Math.Min(chunk, tokens.Length - start);
                var (features, next) = model.Causal.Backbone.Prefill(Ids(tokens, start, length), state.Current);
                sum.add_(features[0].sum(0, keepdim: false));   // a bare sum(0) would bind to sum(ScalarType)
                state.Advance(next);
            }
            state.Current?.Dispose();
        }
        else
        {
            for (int start = 0; start < tokens.Length; start += window)
            {
                using var scope = NewDisposeScope();
                sum.add_(model.Features(Ids(tokens, start, Math.Min(window, tokens.Length - start)))[0].sum(0));
            }
        }
        using var mean = sum / Math.Max(1, tokens.Length);
        return mean.data<float>().ToArray();
    }

    private static Tensor Ids(int[] tokens, int start, int length) => tensor(tokens.AsSpan(start, length).ToArray().Select(t => (long)t).ToArray()).unsqueeze(0);

    /// <summary>Keeps the latest backbone state alive outside the per-chunk dispose scopes.</summary>
    private sealed class BackboneStateHolder
    {
        public Mamba.Core.Models.BackboneState? Current { get; private set; }

        public void Advance(Mamba.Core.Models.BackboneState next)
        {
            Current?.Dispose();
            foreach (var layer in next.Layers) layer.MoveToOuterDisposeScope();
            Current = next;
        }
    }
}

/// <summary>
/// Scores the single-base substitutions in <c>variants.file</c> (a VCF, or a CSV <c>record,position,ref,alt</c>; both with
/// 1-based positions) by the
/// log-likelihood ratio log P(alt) − log P(ref): for a causal model, of the whole window of <c>variants.context</c>
/// bases either side (the change also alters how the bases after it are predicted); for a masked model, of the base
/// at the masked position. To <c>variants.parquet</c>; a negative ratio means the model finds the alternative less likely.
/// </summary>
[JobTask("score-variants", Description = "Log-likelihood ratio of alt vs ref for listed variants")]
public sealed class ScoreVariantsTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        if (options.Variants.File is null) throw new JobOptionsException("options.variants.file", "score-variants needs a VCF, or a CSV of record,position,ref,alt");
        if (options.Model.Weights is null) throw new JobOptionsException("options.model.weights", "score-variants needs a pretrained model: the run folder of a pretrain job");
        var records = (await GenomicsPipeline.ReadRecordsAsync(context, options.Data, cancellation)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        string file = context.ResolvePath(options.Variants.File);
        var (variants, skipped) = VariantFile.Read(file, records);
        if (skipped > 0) context.Logger.LogSkippedVariants(file, skipped, variants.Count);
        using var model = GenomicsPipeline.CreateOrLoad(context, options.Model);
        var scores = new double[variants.Count];
        using (var bar = context.Progress.Start("score-variants", variants.Count))
        {
            for (int i = 0; i < variants.Count; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                scores[i] = VariantScoring.LogLikelihoodRatio(model, NucleotideTokenizer.Encode(records[variants[i].Record].Bases), variants[i], options.Variants.Context);
                bar.Report(i + 1);
            }
        }
        await context.Artifacts.WriteParquetAsync("variants.parquet",
        [
            new("record", variants.Select(v => v.Record).ToArray()),
            new("position", variants.Select(v => (double)v.Position).ToArray()),
            new("ref", variants.Select(v => v.Reference.ToString()).ToArray()),
            new("alt", variants.Select(v => v.Alternative.ToString()).ToArray()),
            new("llr", scores),
        ], cancellation: cancellation);
    }
}

/// <summary>A single-base substitution at a 1-based position of a record.</summary>
public sealed record Variant(string Record, int Position, char Reference, char Alternative);

/// <summary>Reads variant lists (VCF or the plugin's CSV), checking every variant against the sequences.</summary>
public static class VariantFile
{
    /// <summary>
    /// The substitutions of <paramref name="path"/>, read as VCF when its name ends in <c>.vcf</c> or <c>.vcf.gz</c>, else
    /// as CSV; and how many VCF records were left out because no model here scores them (indels, symbolic or
    /// missing alleles). Errors name the line and column.
    /// </summary>
    public static (List<Variant> Variants, int Skipped) Read(string path, IReadOnlyDictionary<string, SequenceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(records);
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        bool vcf = path.EndsWith(".vcf", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".vcf.gz", StringComparison.OrdinalIgnoreCase);
        var read = vcf ? ReadVcf(path, records) : (ReadCsv(path, records), 0);
        if (read.Item1.Count == 0)
            throw new DataFormatException(path, read.Item2 > 0 ? $"no single-base substitutions among its {read.Item2} records (indels and symbolic alleles are not scored)" : "no variants");
        return read;
    }

    /// <summary>
    /// VCF 4.x: <c>##</c> meta lines, the <c>#CHROM</c> header, then tab-separated records whose CHROM names a sequence
    /// record and whose POS is 1-based. Each ALT allele of a one-base REF is one variant; REF must match the sequence.
    /// </summary>
    private static (List<Variant>, int) ReadVcf(string path, IReadOnlyDictionary<string, SequenceRecord> records)
    {
        using var reader = new StreamReader(DataFile.OpenRead(path));
        var variants = new List<Variant>();
        int skipped = 0;
        long line = 0;
        bool header = false;
        for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (text.StartsWith("##", StringComparison.Ordinal) || text.Length == 0) continue;
            if (text.StartsWith('#'))
            {
                if (!text.StartsWith("#CHROM\tPOS\tID\tREF\tALT", StringComparison.Ordinal))
                    throw new DataFormatException(path, "the header must start #CHROM, POS, ID, REF, ALT, separated by tabs", line);
                header = true;
                continue;
            }
            if (!header) throw new DataFormatException(path, "a record before the #CHROM header line; is this a VCF?", line);
            var fields = text.Split('\t');
            if (fields.Length < 5) throw new DataFormatException(path, $"{fields.Length} tab-separated fields; a VCF record has at least 8 (CHROM … INFO)", line);
            if (!records.TryGetValue(fields[0], out var record))
                throw new DataFormatException(path, $"no sequence record '{fields[0]}'; the sequences hold {string.Join(", ", records.Keys.Take(5))}", line, "CHROM");
            if (!int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int position) || position < 1 || position > record.Bases.Length)
                throw new DataFormatException(path, $"'{fields[1]}' is not a position in 1…{record.Bases.Length} of {record.Id}", line, "POS");
            string reference = fields[3].ToUpperInvariant();
            if (!record.Bases.AsSpan(position - 1).StartsWith(reference, StringComparison.Ordinal))
                throw new DataFormatException(path,
                    $"REF '{fields[3]}' but {record.Id} reads '{record.Bases.Substring(position - 1, Math.Min(reference.Length, record.Bases.Length - position + 1))}' at {position}; are the VCF and the sequences of one assembly?",
                    line, "REF");
            foreach (string allele in fields[4].Split(','))
            {
                string alternative = allele.ToUpperInvariant();
                if (reference.Length == 1 && alternative.Length == 1 && "ACGT".Contains(alternative[0], StringComparison.Ordinal) && alternative[0] != reference[0])
                    variants.Add(new Variant(record.Id, position, reference[0], alternative[0]));
                else
                    skipped++;
            }
        }
        if (!header) throw new DataFormatException(path, "no #CHROM header line; is this a VCF?");
        return (variants, skipped);
    }

    /// <summary>
    /// Rows of <c>record,position,ref,alt</c> after a header line, positions 1-based; errors name the row and column:
    /// unknown record, position outside it, ref not matching the sequence, alt not a different base.
    /// </summary>
    private static List<Variant> ReadCsv(string path, IReadOnlyDictionary<string, SequenceRecord> records)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].Replace(" ", "", StringComparison.Ordinal).Equals("record,position,ref,alt", StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, "the first line must be the header record,position,ref,alt (or give a .vcf file)");
        var variants = new List<Variant>();
        for (int row = 1; row < lines.Length; row++)
        {
            if (lines[row].Trim().Length == 0) continue;
            var cells = lines[row].Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length != 4) throw new DataFormatException(path, $"row {row + 1}: {cells.Length} columns, expected 4 (record,position,ref,alt)");
            if (!records.TryGetValue(cells[0], out var record)) throw new DataFormatException(path, $"row {row + 1}, column 'record': no record '{cells[0]}' in the sequences");
            if (!int.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out int position) || position < 1 || position > record.Bases.Length)
                throw new DataFormatException(path, $"row {row + 1}, column 'position': '{cells[1]}' is not a position in 1…{record.Bases.Length}");
            if (cells[2].Length != 1 || char.ToUpperInvariant(cells[2][0]) != record.Bases[position - 1])
                throw new DataFormatException(path, $"row {row + 1}, column 'ref': '{cells[2]}' but {record.Id} has '{record.Bases[position - 1]}' at {position}");
            if (cells[3].Length != 1 || "ACGT".IndexOf(char.ToUpperInvariant(cells[3][0]), StringComparison.Ordinal) < 0 || char.ToUpperInvariant(cells[3][0]) == record.Bases[position - 1])
                throw new DataFormatException(path, $"row {row + 1}, column 'alt': '{cells[3]}' must be a base (A, C, G, T) other than ref");
            variants.Add(new Variant(record.Id, position, record.Bases[position - 1], char.ToUpperInvariant(cells[3][0])));
        }
        return variants;
    }
}

/// <summary>Variant effect as a likelihood ratio under a DNA language model.</summary>
public static class VariantScoring
{
    /// <summary>log P(alt) − log P(ref) in nats (see <see cref="ScoreVariantsTask"/>).</summary>
    public static double LogLikelihoodRatio(DnaLanguageModel model, int[] tokens, Variant variant, int context)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(variant);
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int at = variant.Position - 1, start = Math.Max(0, at - context), end = Math.Min(tokens.Length, at + context + 1);
        int reference = NucleotideTokenizer.Encode([variant.Reference])[0], alternative = NucleotideTokenizer.Encode([variant.Alternative])[0];
        var window = tokens[start..end];
        if (model.Spec.Objective == Objective.Masked)
        {
            window[at - start] = NucleotideTokenizer.Mask;
            var logits = model.forward(tensor(window.Select(t => (long)t).ToArray()).unsqueeze(0))[0, at - start];
            var logProbabilities = nn.functional.log_softmax(logits, 0);
            return logProbabilities[alternative].item<float>() - logProbabilities[reference].item<float>();
        }
        var alt = (int[])window.Clone();
        alt[at - start] = alternative;
        return LogLikelihood(model, alt) - LogLikelihood(model, window);
    }

    private static double LogLikelihood(DnaLanguageModel model, int[] window)
    {
        var inputs = tensor(new long[] { NucleotideTokenizer.Bos }.Concat(window[..^1].Select(t => (long)t)).ToArray()).unsqueeze(0);
        var targets = tensor(window.Select(t => (long)t).ToArray());
        var logProbabilities = nn.functional.log_softmax(model.forward(inputs)[0], 1).gather(1, targets.unsqueeze(1));
        return logProbabilities.sum().item<float>();
    }
}
