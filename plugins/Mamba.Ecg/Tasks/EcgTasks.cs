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

/// <summary>
/// Trains the CNN + Mamba classifier on the labelled records of <c>data.records</c>, or on synthetic records when the
/// job names none (thresholds tuned on validation), and saves it under <c>models/</c>.
/// </summary>
[JobTask("train", Description = "Train the CNN + bidirectional Mamba classifier on a labelled WFDB folder (or synthetic ECGs)")]
public sealed class TrainTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, EcgJobOptions options) => EcgPipeline.CheckRecords(context, options, needsTest: false);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var data = EcgPipeline.Data(context, options, cancellation);
        var (model, thresholds) = EcgPipeline.Train(context, options, EcgPipeline.Spec(options, data.Classes, mamba: true), data.Train, data.Validation, LeadSet.Named(options.LeadSet), cancellation);
        using (model)
        {
            EcgPipeline.Save(context, model, thresholds);
            await context.Artifacts.WriteJsonAsync("metrics.json", new
            {
                data = data.Source,
                thresholds = data.Classes.Zip(thresholds).ToDictionary(p => ScoredDiagnoses.Abbreviation(p.First), p => p.Second),
            }, cancellation);
        }
    }
}

/// <summary>
/// The CNN + Mamba model against the same CNN with a pooling head, both trained on the same records (a labelled WFDB
/// folder's training split, or synthetic records), scored on the held-out test records with all leads and with lead
/// II alone: macro AUROC, AUPRC, F-measure and the 2021 challenge score, per-class AUROC; to <c>metrics.json</c> and
/// <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "CNN + Mamba vs the CNN baseline on held-out records of a labelled WFDB folder (or synthetic ECGs)")]
public sealed class EvaluateTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, EcgJobOptions options) => EcgPipeline.CheckRecords(context, options, needsTest: true);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var data = EcgPipeline.Data(context, options, cancellation);
        var rows = new List<ScoreRow>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (bool mamba in new[] { true, false })
        {
            string name = mamba ? "CNN + bidirectional Mamba" : "CNN baseline (pooling head)";
            var (model, _) = EcgPipeline.Train(context, options, EcgPipeline.Spec(options, data.Classes, mamba), data.Train, data.Validation, LeadSet.Twelve, cancellation);
            using (model)
            {
                foreach (var set in new[] { LeadSet.Twelve, LeadSet.SingleII })
                {
                    var thresholds = MultilabelMetrics.TuneThresholds([.. data.Validation.Select(e => e.Labels)], EcgTraining.Probabilities(model, data.Validation, set));
                    var row = Score(name, set, data, EcgTraining.Probabilities(model, data.Test, set), thresholds);
                    context.Logger.LogScores(name, row.Leads, row.Auroc.Macro, row.Auprc.Macro, row.F.Macro, row.Challenge);
                    rows.Add(row);
                }
            }
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            data = data.Source,
            classes = data.Classes.Select(ScoredDiagnoses.Abbreviation),
            seconds = clock.Elapsed.TotalSeconds,
            rows = rows.Select(r => new
            {
                r.Model, leads = r.Leads, auroc = r.Auroc.Macro, auprc = r.Auprc.Macro, f = r.F.Macro, challenge = r.Challenge,
                aurocPerClass = Defined(r.Auroc), auprcPerClass = Defined(r.Auprc), fPerClass = Defined(r.F),
            }),
        }, cancellation);
        await context.Artifacts.WriteResultsAsync(Results(rows, data), cancellation);
    }

    /// <summary>
    /// Scores one model and lead set. The challenge score counts every scored class of each record, including those
    /// the model never saw in training, as the challenge does.
    /// </summary>
    private static ScoreRow Score(string model, LeadSet set, EcgData data, double[][] probabilities, double[] thresholds)
    {
        var challenge = ScoredDiagnoses.Score;
        bool[][] labels = [.. data.Test.Select(e => e.Labels)];
        bool[][] predicted = [.. probabilities.Select(p => p.Select((v, k) => v >= thresholds[k]).ToArray())];
        var (auroc, auprc) = MultilabelMetrics.AreasUnderCurves(labels, probabilities);
        bool[] Scored(bool[] row) => challenge.Encode(data.Classes.Where((_, k) => row[k]).Select(c => c.Split('|')[0]));
        double score = challenge.Score([.. data.Test.Select(e => challenge.Encode(e.Codes))], [.. predicted.Select(Scored)]);
        string leads = set.Leads.Count == LeadSet.Standard.Count ? "12 leads" : string.Join(", ", set.Leads);
        return new ScoreRow(model, leads, auroc, auprc, MultilabelMetrics.FMeasure(labels, predicted), score);
    }

    private static ResultsPage Results(List<ScoreRow> rows, EcgData data)
    {
        var summary = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Text("leads"), ResultsColumn.Number("macro AUROC", "F4"),
            ResultsColumn.Number("macro AUPRC", "F4"), ResultsColumn.Number("macro F", "F4"), ResultsColumn.Number("challenge score", "F4"));
        foreach (var r in rows) summary.Row(r.Model, r.Leads, r.Auroc.Macro, r.Auprc.Macro, r.F.Macro, r.Challenge);
        var perClass = new ResultsTable([ResultsColumn.Text("model"), ResultsColumn.Text("leads"),
            .. data.Classes.Select(c => ResultsColumn.Number(ScoredDiagnoses.Abbreviation(c), "F3"))]);
        foreach (var r in rows) perClass.Row([r.Model, r.Leads, .. r.Auroc.PerClass.Cast<object>()]);
        string records = data.Synthetic ? "**synthetic** records" : "records of the labelled folder";
        return new ResultsPage()
            .Paragraph($"Held-out {records} ({data.Test.Count}); thresholds tuned per class on the validation records ({data.Validation.Count}).")
            .Table(summary)
            .Paragraph($"AUROC per class (NaN where the test records hold no positive of the class):")
            .Table(perClass);
    }

    /// <summary>Per-class values with null where a class has no positive among the test records (undefined, not zero).</summary>
    private static double?[] Defined(ClassScores scores) => [.. scores.PerClass.Select(v => double.IsNaN(v) ? (double?)null : v)];

    private sealed record ScoreRow(string Model, string Leads, ClassScores Auroc, ClassScores Auprc, ClassScores F, double Challenge);
}

/// <summary>
/// Writes synthetic records as a labelled WFDB folder in the layout of the 2020/2021 challenges (<c>records/</c>: a
/// header with <c># Dx:</c> codes and a format-16 signal file per record, 500 Hz, 12 leads, 1000 ADC units per mV),
/// the shape a user's own folder takes for <c>data.records</c>. Every header says the record is synthetic.
/// </summary>
[JobTask("simulate", Description = "Write synthetic labelled ECGs as a WFDB folder in the challenge layout -> records/")]
public sealed class SimulateTask : JobTask<EcgJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var s = options.Synthetic;
        string folder = context.Artifacts.PathOf("records");
        using (var bar = context.Progress.Start("simulate", s.Records))
        {
            for (int i = 0; i < s.Records; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                var generated = SyntheticEcg.Generate(s.Seed + i, new SyntheticEcgOptions { Seconds = s.Seconds, SamplingFrequency = s.SamplingFrequency });
                string name = FormattableString.Invariant($"S{i + 1:D5}");
                WfdbFiles.Write(folder, ChallengeRecord(name, generated));
                context.Artifacts.Record($"records/{name}.hea");
                context.Artifacts.Record($"records/{name}.dat");
                bar.Report(i + 1);
            }
        }
        await context.Artifacts.WriteTextAsync("records/SYNTHETIC.md",
            $"# Synthetic ECG records\n\n{s.Records} records made by the Mamba ECG plugin's generator (seeds {s.Seed} to {s.Seed + s.Records - 1}, " +
            $"{s.Seconds:0.##} s each). They are not real recordings; their #Dx labels are the conditions the generator drew.\n", cancellation);
    }

    private static WfdbRecord ChallengeRecord(string name, SyntheticEcgRecord generated)
    {
        const double Gain = 1000;
        var signals = SyntheticEcg.LeadNames.Select(lead => new WfdbSignal($"{name}.dat", 16, 0, Gain, 0, "mV", 16, 0, 0, null, lead)).ToList();
        var digital = generated.Leads.Select(lead => lead.Select(v => (int)Math.Clamp(Math.Round(v * Gain), short.MinValue + 1, short.MaxValue)).ToArray()).ToArray();
        var header = new WfdbHeader(name, generated.SamplingFrequency, digital[0].Length, signals,
            ["Age: NaN", "Sex: Unknown", $"Dx: {string.Join(',', generated.Codes)}", "Rx: Unknown", "Hx: Unknown", "Sx: Unknown",
             "Synthetic: made by the Mamba ECG plugin's generator, not a real recording"]);
        return new WfdbRecord(header, digital);
    }
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
            var labels = model.Spec.Classes.Where((_, k) => mean[k] >= thresholds[k]).Select(ScoredDiagnoses.Abbreviation).ToList();
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
                meanProbabilities = model.Spec.Classes.Zip(mean).ToDictionary(p => ScoredDiagnoses.Abbreviation(p.First), p => p.Second),
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
        return (new RecordingWindows(record.Header, EcgWindows.Standardise(path, record, options.Model.SamplingFrequency)), set);
    }

    private static string RecordPath(JobCheckContext context, EcgJobOptions options) =>
        context.ResolvePath(options.Record ?? throw new JobOptionsException("options.record", "name a WFDB header (.hea) to read"));

    private static LeadSet Leads(string path, WfdbHeader header, EcgJobOptions options)
    {
        var names = header.Signals.Select(s => s.Description).ToList();
        EcgWindows.RequireLeadNames(path, names);
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
        for (int k = 0; k < spec.Classes.Length; k++) columns.Add(new("p_" + ScoredDiagnoses.Abbreviation(spec.Classes[k]), probabilities.Select(p => p[k]).ToArray()));
        return context.Artifacts.WriteParquetAsync(name, columns, cancellation: cancellation);
    }
}
