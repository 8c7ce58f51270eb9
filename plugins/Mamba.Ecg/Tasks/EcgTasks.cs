using Mamba.Ecg.Metrics;
using Mamba.Ecg.Models;
using Mamba.Ecg.Signals;
using Mamba.Ecg.Synthetic;
using Mamba.Ecg.Training;
using Mamba.Ecg.Wfdb;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.Ecg.Tasks;

/// <summary>Trains the CNN + Mamba classifier on synthetic records (thresholds tuned on validation) and saves it under <c>model/</c>.</summary>
[JobTask("train", Description = "Train the CNN + bidirectional Mamba classifier on labelled synthetic ECGs")]
public sealed class TrainTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var (train, validation, _) = EcgPipeline.Synthetic(context, options);
        var (model, thresholds) = EcgPipeline.Train(context, options, EcgPipeline.Spec(options, mamba: true), train, validation, LeadSet.Named(options.LeadSet), cancellation);
        using (model)
        {
            EcgPipeline.Save(context, model, thresholds);
            await context.Artifacts.WriteJsonAsync("metrics.json", new { synthetic = true, thresholds = EcgCondition.All.Zip(thresholds).ToDictionary(p => EcgCondition.Abbreviation(p.First), p => p.Second) }, cancellation);
        }
    }
}

/// <summary>
/// The CNN + Mamba model against the same CNN with a pooling head, both trained on the same synthetic records, scored
/// on held-out synthetic records with all 12 leads and with lead II alone: macro AUROC, AUPRC, F-measure and the
/// challenge score, per-class AUROC; to <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "CNN + Mamba vs the CNN baseline on held-out synthetic ECGs")]
public sealed class EvaluateTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var challenge = ChallengeScore.Load(Path.Combine(Path.GetDirectoryName(typeof(EvaluateTask).Assembly.Location)!, "data", "challenge2021", "weights.csv"));
        var (train, validation, test) = EcgPipeline.Synthetic(context, options);
        var rows = new List<ScoreRow>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (bool mamba in new[] { true, false })
        {
            string name = mamba ? "CNN + bidirectional Mamba" : "CNN baseline (pooling head)";
            var (model, _) = EcgPipeline.Train(context, options, EcgPipeline.Spec(options, mamba), train, validation, LeadSet.Twelve, cancellation);
            using (model)
            {
                foreach (var set in new[] { LeadSet.Twelve, LeadSet.SingleII })
                {
                    var thresholds = MultilabelMetrics.TuneThresholds([.. validation.Select(e => e.Labels)], EcgTraining.Probabilities(model, validation, set));
                    var row = Score(name, set, challenge, test, EcgTraining.Probabilities(model, test, set), thresholds);
                    context.Logger.LogScores(name, row.Leads, row.Auroc.Macro, row.Auprc.Macro, row.F.Macro, row.Challenge);
                    rows.Add(row);
                }
            }
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            synthetic = true,
            note = "held-out records of the synthetic generator, not real recordings",
            records = new { train = train.Count, validation = validation.Count, test = test.Count },
            classes = EcgCondition.All.Select(EcgCondition.Abbreviation),
            seconds = clock.Elapsed.TotalSeconds,
            rows = rows.Select(r => new { r.Model, leads = r.Leads, auroc = r.Auroc.Macro, auprc = r.Auprc.Macro, f = r.F.Macro, challenge = r.Challenge, aurocPerClass = r.Auroc.PerClass, auprcPerClass = r.Auprc.PerClass, fPerClass = r.F.PerClass }),
        }, cancellation);
        await context.Artifacts.WriteResultsAsync(Results(rows, test.Count), cancellation);
    }

    private static ScoreRow Score(string model, LeadSet set, ChallengeScore challenge, List<EcgExample> test, double[][] probabilities, double[] thresholds)
    {
        bool[][] labels = [.. test.Select(e => e.Labels)];
        bool[][] predicted = [.. probabilities.Select(p => p.Select((v, k) => v >= thresholds[k]).ToArray())];
        var (auroc, auprc) = MultilabelMetrics.AreasUnderCurves(labels, probabilities);
        bool[] Scored(bool[] row) => challenge.Encode(EcgCondition.All.Where((_, k) => row[k]));
        double score = challenge.Score([.. labels.Select(Scored)], [.. predicted.Select(Scored)]);
        string leads = set.Leads.Count == LeadSet.Standard.Count ? "12 leads" : string.Join(", ", set.Leads);
        return new ScoreRow(model, leads, auroc, auprc, MultilabelMetrics.FMeasure(labels, predicted), score);
    }

    private static ResultsPage Results(List<ScoreRow> rows, int records)
    {
        var summary = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Text("leads"), ResultsColumn.Number("macro AUROC", "F4"),
            ResultsColumn.Number("macro AUPRC", "F4"), ResultsColumn.Number("macro F", "F4"), ResultsColumn.Number("challenge score", "F4"));
        foreach (var r in rows) summary.Row(r.Model, r.Leads, r.Auroc.Macro, r.Auprc.Macro, r.F.Macro, r.Challenge);
        var perClass = new ResultsTable([ResultsColumn.Text("model"), ResultsColumn.Text("leads"),
            .. EcgCondition.All.Select(c => ResultsColumn.Number(EcgCondition.Abbreviation(c), "F3"))]);
        foreach (var r in rows) perClass.Row([r.Model, r.Leads, .. r.Auroc.PerClass.Cast<object>()]);
        return new ResultsPage()
            .Paragraph($"Held-out **synthetic** records ({records}); thresholds tuned per class on the validation records.")
            .Table(summary)
            .Paragraph($"AUROC per class:")
            .Table(perClass);
    }

    private sealed record ScoreRow(string Model, string Leads, ClassScores Auroc, ClassScores Auprc, ClassScores F, double Challenge);
}

/// <summary>
/// Class probabilities of a real WFDB recording (<c>record</c>), window by window and averaged, to
/// <c>predictions.parquet</c>, and a PNG of its first window with the predicted labels. Real recordings here have no
/// ground-truth labels; the output is the model's opinion, not a diagnosis.
/// </summary>
[JobTask("predict", Description = "Class probabilities of a WFDB recording, with a plot of its leads")]
public sealed class PredictTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, EcgJobOptions options) => RecordingWindows.Check(context, options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var (recording, set) = RecordingWindows.Read(context, options);
        var (model, thresholds) = EcgPipeline.LoadOrTrain(context, options, cancellation);
        using (model)
        {
            var windows = recording.Windows(model.Spec, set);
            string leads = string.Join(",", set.Leads);
            context.Logger.LogRecord(recording.Header.RecordName, windows.Count, model.Spec.WindowSeconds, leads);
            var probabilities = EcgTraining.Probabilities(model, windows);
            await RecordingWindows.WriteAsync(context, "predictions.parquet", model.Spec, probabilities, cancellation);
            var mean = Enumerable.Range(0, model.Spec.Classes.Length).Select(k => probabilities.Average(p => p[k])).ToArray();
            var labels = model.Spec.Classes.Where((_, k) => mean[k] >= thresholds[k]).Select(EcgCondition.Abbreviation).ToList();
            var first = recording.Channels.Select((c, i) => (Lead: LeadSet.Standard[i], Signal: c)).Where(c => c.Signal is not null && set.Leads.Contains(c.Lead)).ToList();
            int samples = Math.Min(model.Spec.WindowSamples, first[0].Signal!.Length);
            var x = Enumerable.Range(0, samples).Select(i => i / model.Spec.SamplingFrequency).ToArray();
            await context.Artifacts.WriteChartAsync("leads.png", new LineChart(
                $"{recording.Header.RecordName}, first {model.Spec.WindowSeconds:0} s — predicted (mean over windows): {(labels.Count > 0 ? string.Join(", ", labels) : "none above threshold")}; no ground truth",
                "s", "mV", [.. first.Select((c, k) => new LineSeries(c.Lead, x, [.. c.Signal!.Take(samples).Select(v => (double)v - 2.5 * k)]))]), cancellation);
            await context.Artifacts.WriteJsonAsync("metrics.json", new
            {
                record = recording.Header.RecordName,
                groundTruth = "none: this recording carries no labels here",
                windows = windows.Count,
                leads = set.Leads,
                meanProbabilities = model.Spec.Classes.Zip(mean).ToDictionary(p => EcgCondition.Abbreviation(p.First), p => p.Second),
                predicted = labels,
            }, cancellation);
        }
    }
}

/// <summary>
/// Runs a long recording through the model one window at a time (activations of one window only, however long the
/// recording), writing each window's probabilities to <c>stream.parquet</c> as it goes; the result equals batch
/// inference over the same windows (tested). The bidirectional encoder starts each window from an empty state.
/// </summary>
[JobTask("stream", Description = "Window-by-window inference over a long WFDB recording")]
public sealed class StreamTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, EcgJobOptions options) => RecordingWindows.Check(context, options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var (recording, set) = RecordingWindows.Read(context, options);
        var (model, _) = EcgPipeline.LoadOrTrain(context, options, cancellation);
        using (model)
        {
            int count = recording.WindowCount(model.Spec);
            string leads = string.Join(",", set.Leads);
            context.Logger.LogRecord(recording.Header.RecordName, count, model.Spec.WindowSeconds, leads);
            var probabilities = new List<double[]>();
            using (var bar = context.Progress.Start("stream", count))
            {
                foreach (var window in recording.StreamWindows(model.Spec, set))
                {
                    cancellation.ThrowIfCancellationRequested();
                    probabilities.Add(EcgTraining.Probabilities(model, [window], 1)[0]);
                    bar.Report(probabilities.Count);
                }
            }
            await RecordingWindows.WriteAsync(context, "stream.parquet", model.Spec, probabilities, cancellation);
        }
    }
}

/// <summary>A real recording prepared for the model: its channels at the model's rate and the lead set it offers.</summary>
internal sealed class RecordingWindows(WfdbHeader header, float[]?[] channels)
{
    public WfdbHeader Header { get; } = header;

    public float[]?[] Channels { get; } = channels;

    /// <summary>The record's header, parsed, with its leads checked against <c>leadSet</c>: what runs before a run starts.</summary>
    public static LeadSet Check(JobCheckContext context, EcgJobOptions options)
    {
        string path = RecordPath(context, options);
        return Leads(path, WfdbHeaderParser.Read(path), options);
    }

    public static (RecordingWindows Recording, LeadSet Set) Read(JobContext context, EcgJobOptions options)
    {
        string path = RecordPath(context, options);
        var record = WfdbFiles.Read(path);
        var set = Leads(path, record.Header, options);
        var names = record.Header.Signals.Select(s => s.Description).ToList();
        var physical = Enumerable.Range(0, names.Count).Select(s => record.Physical(s).Select(v => (float)v).ToArray()).ToList();
        return (new RecordingWindows(record.Header, EcgWindows.Standardise(names, physical, record.Header.SamplingFrequency, options.Model.SamplingFrequency)), set);
    }

    private static string RecordPath(JobCheckContext context, EcgJobOptions options) =>
        context.ResolvePath(options.Record ?? throw new JobOptionsException("options.record", "name a WFDB header (.hea) to read"));

    private static LeadSet Leads(string path, WfdbHeader header, EcgJobOptions options)
    {
        var names = header.Signals.Select(s => s.Description).ToList();
        foreach (string name in names)
        {
            try { LeadSet.ChannelOf(name); }
            catch (ArgumentException error) { throw new DataFormatException(path, $"signal '{name}': {error.Message}"); }
        }
        var set = LeadSet.Named(options.LeadSet);
        var missing = set.Leads.Where(l => !names.Any(n => LeadSet.ChannelOf(n) == LeadSet.ChannelOf(l))).ToList();
        if (missing.Count > 0) throw new JobOptionsException("options.leadSet", $"{path} has leads {string.Join(", ", names)}; lead set {set.Name} also needs {string.Join(", ", missing)}");
        return set;
    }

    public int WindowCount(EcgModelSpec spec) => Math.Max(1, Channels.First(c => c is not null)!.Length / spec.WindowSamples);

    /// <summary>Consecutive non-overlapping windows, made one at a time.</summary>
    public IEnumerable<float[]> StreamWindows(EcgModelSpec spec, LeadSet set)
    {
        for (int w = 0; w < WindowCount(spec); w++) yield return EcgWindows.Window(Channels, w * spec.WindowSamples, spec.WindowSamples, set);
    }

    public List<float[]> Windows(EcgModelSpec spec, LeadSet set) => [.. StreamWindows(spec, set)];

    public static Task WriteAsync(JobContext context, string name, EcgModelSpec spec, IReadOnlyList<double[]> probabilities, CancellationToken cancellation)
    {
        var columns = new List<ParquetColumn>
        {
            new("window", probabilities.Select((_, i) => (double)i).ToArray()),
            new("start_s", probabilities.Select((_, i) => i * spec.WindowSeconds).ToArray()),
        };
        for (int k = 0; k < spec.Classes.Length; k++) columns.Add(new("p_" + EcgCondition.Abbreviation(spec.Classes[k]), probabilities.Select(p => p[k]).ToArray()));
        return context.Artifacts.WriteParquetAsync(name, columns, cancellation: cancellation);
    }
}
