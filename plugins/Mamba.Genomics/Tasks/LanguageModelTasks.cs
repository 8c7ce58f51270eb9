using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mamba.Core.Training;
using Mamba.Genomics.Baselines;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using Mamba.Genomics.Training;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Genomics.Tasks;

/// <summary>
/// Pretrains a DNA language model (causal or masked) on random windows of each record's training region, validating
/// on the validation regions; saves the model after the last epoch under <c>model/</c> and the validation curve to
/// <c>validation.png</c>.
/// </summary>
[JobTask("pretrain", Description = "Pretrain a causal or masked DNA language model")]
public sealed class PretrainTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        var regions = await GenomicsPipeline.ReadRegionsAsync(context, options.Data, cancellation);
        var t = options.Training;
        var train = regions.Where(r => r.TrainEnd >= t.Window).Select(r => r.Train).ToList();
        if (train.Count == 0)
            throw new JobOptionsException("options.training.window",
                $"no record of {options.Data.Sequences} has a training region of {t.Window} bases (the longest has {regions.Max(r => r.TrainEnd)}); lower the window or use longer sequences");
        var validation = regions.SelectMany(r => r.Validation).Take(t.ValidationBases).ToArray();
        if (validation.Length == 0) throw new JobOptionsException("options.data.validationFraction", "the validation regions are empty; pretraining selects its best epoch on them");

        // Seeded first: the seed fixes the initial weights too.
        random.manual_seed(t.Seed);
        using var model = GenomicsPipeline.CreateOrLoad(context, options.Model);
        var clock = Stopwatch.StartNew();
        var result = Pretraining.Fit(context.Training, "pretrain", model, train, validation, t, cancellation);
        double seconds = clock.Elapsed.TotalSeconds;
        GenomicsPipeline.Save(context, model);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            objective = model.Spec.Objective.ToString().ToLowerInvariant(),
            model.Spec.Layers,
            result.Steps,
            trainingSeconds = seconds,
            bestValidationBitsPerBase = result.BestValidationMetric,
            result.BestEpoch,
            validationCurve = result.History.Select(e => new { e.Epoch, e.Step, bitsPerBase = e.Validation }),
        }, cancellation);
        await context.Artifacts.WriteChartAsync("validation.png", new LineChart($"Pretraining on {Path.GetFileName(options.Data.Sequences)}", "step", "validation bits per base",
            [new LineSeries(model.Spec.Layers, [.. result.History.Select(e => (double)e.Step)], [.. result.History.Select(e => e.Validation)])]), cancellation);
    }

}

/// <summary>
/// Bits per base of each record's test region, streamed through the causal model's recurrent state chunk by chunk
/// (memory independent of the length), next to the best order-k Markov model (k chosen on the validation regions, then
/// refitted on training + validation); to <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "Bits per base on the held-out regions vs the best order-k Markov model")]
public sealed class EvaluateTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        var regions = await GenomicsPipeline.ReadRegionsAsync(context, options.Data, cancellation);
        long testBases = regions.Sum(r => (long)(r.Tokens.Length - r.ValidationEnd));
        if (testBases == 0) throw new JobOptionsException("options.data.testFraction", "the test regions are empty");
        using var model = GenomicsPipeline.LoadCausal(context, options.Model, "evaluate");
        var e = options.Evaluation;

        string Joined(Func<RecordRegions, int[]> region) => string.Join('N', regions.Select(r => NucleotideTokenizer.Decode(region(r))));
        var (selected, validationBits) = MarkovModel.SelectOrder(Joined(r => r.Train), Joined(r => r.Validation), e.MaxMarkovOrder, e.MarkovAlpha);
        var markov = MarkovModel.Fit(Joined(r => r.Train) + "N" + Joined(r => r.Validation), selected.Order, e.MarkovAlpha);
        var (markovBits, markovBases) = markov.Evaluate(Joined(r => r.Test));
        string markovName = FormattableString.Invariant($"Markov order {selected.Order}");
        context.Logger.LogBitsPerBase(markovName, markovBits, markovBases);

        double nats = 0;
        long scored = 0;
        var clock = Stopwatch.StartNew();
        using (var bar = context.Progress.Start("evaluate", testBases))
        {
            long before = 0;
            foreach (var record in regions)
            {
                cancellation.ThrowIfCancellationRequested();
                var (bits, bases) = Pretraining.BitsPerBase(model.Causal, record.Test, e.Chunk, done => bar.Report(before + done, record.Id));
                nats += bits * bases;
                scored += bases;
                before += record.Tokens.Length - record.ValidationEnd;
            }
        }
        double mambaBits = nats / Math.Max(1, scored);
        context.Logger.LogBitsPerBase(model.Spec.Layers, mambaBits, scored);

        var s = model.Spec;
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            sequences = options.Data.Sequences,
            testBases = scored,
            model = new { s.Layers, s.ModelDim, bitsPerBase = mambaBits, streamSeconds = clock.Elapsed.TotalSeconds, chunk = e.Chunk },
            markov = new { order = selected.Order, alpha = e.MarkovAlpha, validationBitsPerBase = validationBits, bitsPerBase = markovBits },
        }, cancellation);
        var table = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Number("bits per base", "F4"))
            .Row(FormattableString.Invariant($"Mamba LM ({s.Layers}, d_model {s.ModelDim}), streamed in chunks of {e.Chunk}"), mambaBits)
            .Row(FormattableString.Invariant($"order-{selected.Order} Markov (α = {e.MarkovAlpha}, order chosen on validation)"), markovBits);
        await context.Artifacts.WriteResultsAsync(new ResultsPage()
            .Paragraph($"Bits per base on the test regions of {options.Data.Sequences} ({scored:N0} bases; lower is better).")
            .Table(table), cancellation);
    }
}

/// <summary>Samples sequences from a causal model with temperature, to <c>generated.fasta</c> (headers say they are model-generated).</summary>
[JobTask("generate", Description = "Sample sequences from a causal DNA language model")]
public sealed class GenerateTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        var g = options.Generate;
        var prompt = NucleotideTokenizer.Encode(g.Prompt.ToUpperInvariant());
        if (prompt.Any(t => t == NucleotideTokenizer.Unknown)) throw new JobOptionsException("options.generate.prompt", "the prompt may hold only A, C, G and T");
        using var model = GenomicsPipeline.LoadCausal(context, options.Model, "generate");
        var samples = new List<string>();
        using (var bar = context.Progress.Start("generate", g.Count))
        {
            for (int i = 0; i < g.Count; i++)
            {
                samples.Add(Sampling.Sample(model.Causal, prompt, g.Length, g.Temperature, g.Seed + i, cancellation));
                bar.Report(i + 1);
            }
        }
        var fasta = new StringBuilder();
        for (int i = 0; i < samples.Count; i++)
        {
            fasta.AppendLine(CultureInfo.InvariantCulture, $">sample_{i + 1} model-generated by {model.Spec.Layers} temperature={g.Temperature} seed={g.Seed + i} prompt_length={prompt.Length}");
            for (int at = 0; at < samples[i].Length; at += 80) fasta.AppendLine(samples[i].Substring(at, Math.Min(80, samples[i].Length - at)));
        }
        await context.Artifacts.WriteTextAsync("generated.fasta", fasta.ToString(), cancellation);
    }
}
