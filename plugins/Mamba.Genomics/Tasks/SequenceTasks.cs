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
/// Scores variants listed in <c>variants.file</c> (CSV <c>record,position,ref,alt</c>, 1-based positions) by the
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
        if (options.Variants.File is null) throw new JobOptionsException("options.variants.file", "score-variants needs a CSV of record,position,ref,alt");
        if (options.Model.Weights is null) throw new JobOptionsException("options.model.weights", "score-variants needs a pretrained model: the run folder of a pretrain job");
        var records = (await GenomicsPipeline.ReadRecordsAsync(context, options.Data, cancellation)).ToDictionary(r => r.Id, StringComparer.Ordinal);
        var variants = VariantFile.Read(context.ResolvePath(options.Variants.File), records);
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

/// <summary>Reads variant lists, checking every row against the sequences.</summary>
public static class VariantFile
{
    /// <summary>
    /// Rows of <c>record,position,ref,alt</c> after a header line; errors name the row and column: unknown record,
    /// position outside it, ref not matching the sequence, alt not a different base.
    /// </summary>
    public static List<Variant> Read(string path, IReadOnlyDictionary<string, SequenceRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || !lines[0].Replace(" ", "", StringComparison.Ordinal).Equals("record,position,ref,alt", StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, "the first line must be the header record,position,ref,alt");
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
        if (variants.Count == 0) throw new DataFormatException(path, "no variants after the header");
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
