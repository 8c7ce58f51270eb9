using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Mamba.Tracking.Data;
using Mamba.Tracking.Metrics;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Tracking;

namespace Mamba.Tracking.Tasks;

/// <summary>Writes synthetic sequences in the MOTChallenge layout (every folder marked synthetic).</summary>
[JobTask("simulate", Description = "Write synthetic MOTChallenge sequences (seqinfo.ini, det/det.txt, gt/gt.txt)")]
public sealed class SimulateTask : JobTask<TrackingJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        foreach (var scene in TrackingPipeline.Scenes(options.Synthetic, "synthetic-test", 2000, options.Synthetic.TestSequences))
        {
            string folder = scene.Info.Name;
            await context.Artifacts.WriteTextAsync(Path.Combine(folder, "seqinfo.ini"), scene.Info.Format(), cancellation);
            await context.Artifacts.WriteTextAsync(Path.Combine(folder, "det", "det.txt"), MotFiles.Format(scene.Detections), cancellation);
            await context.Artifacts.WriteTextAsync(Path.Combine(folder, "gt", "gt.txt"), GroundTruth(scene), cancellation);
            await context.Artifacts.WriteTextAsync(Path.Combine(folder, "SYNTHETIC.md"),
                $"Synthetic sequence from the tracking plugin's scene simulator (seed {options.Synthetic.Seed}, scene settings in the run's job.json). Not real data.\n", cancellation);
        }
    }

    private static string GroundTruth(SyntheticSequence scene)
    {
        var text = new StringBuilder();
        for (int i = 0; i < scene.Truth.Count; i++)
        {
            var r = scene.Truth[i];
            text.Append(CultureInfo.InvariantCulture, $"{r.Frame},{r.Id},{r.Box.Left:0.##},{r.Box.Top:0.##},{r.Box.Width:0.##},{r.Box.Height:0.##},1,1,{scene.Visibility[i]:0.###}\n");
        }
        return text.ToString();
    }
}

/// <summary>
/// Trains the Mamba motion predictor on the ground-truth tracks of <c>trainSequences</c> (a user's MOTChallenge
/// folder) or of synthetic scenes, and saves it under <c>models/</c>; later jobs name the run in <c>weights</c>.
/// </summary>
[JobTask("train", Description = "Train the Mamba motion predictor on ground-truth tracks (a MOT folder or synthetic scenes)")]
public sealed class TrainTask : JobTask<TrackingJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, TrackingJobOptions options)
    {
        if (options.Weights is not null) throw new JobOptionsException("options.weights", "train fits a new predictor; remove weights (track and evaluate use them)");
    }

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        var (predictor, training) = await TrackingPipeline.LoadOrTrainAsync(context, options, cancellation);
        using (predictor)
        {
            TrackingPipeline.Save(context, predictor);
            await context.Artifacts.WriteJsonAsync("metrics.json", new { synthetic = options.TrainSequences is null, training }, cancellation);
        }
    }
}

/// <summary>Runs the tracker on every sequence's detections; writes <c>results/&lt;sequence&gt;.txt</c> (MOTChallenge).</summary>
[JobTask("track", Description = "Detections -> MOTChallenge result files, with the Mamba or the Kalman motion model")]
public sealed class TrackTask : JobTask<TrackingJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, TrackingJobOptions options) => TrackingPipeline.CheckNotTrainingOnTheTestSequences(context, options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        var sequences = options.Sequences is { } folder
            ? await TrackingPipeline.ReadFolderAsync(context.ResolvePath(folder), cancellation)
            : TrackingPipeline.TestScenes(options.Synthetic);
        using var predictor = options.Motion == "mamba" ? (await TrackingPipeline.LoadOrTrainAsync(context, options, cancellation)).Predictor : null;
        IMotionModel motion = predictor is null ? new KalmanBoxModel() : new MambaMotionModel(predictor);
        var scores = new List<object>();
        foreach (var sequence in sequences)
        {
            var run = TrackingRun.Of(sequence, motion, options.Tracker, cancellation);
            await context.Artifacts.WriteTextAsync(Path.Combine("results", sequence.Info.Name + ".txt"), MotFiles.Format(run.Output), cancellation);
            if (sequence.Truth.Count > 0)
            {
                var m = TrackingScores.Of([(sequence, run.Output)]);
                context.Logger.LogTracked(sequence.Info.Name, motion.Name, m.Hota.Score, m.Identity.Idf1, m.Clear.Mota, run.Seconds, run.FramesPerSecond);
                scores.Add(new { sequence = sequence.Info.Name, hota = m.Hota.Score, idf1 = m.Identity.Idf1, mota = m.Clear.Mota });
            }
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new { motion = motion.Name, synthetic = options.Sequences is null, sequences = scores }, cancellation);
    }
}

/// <summary>
/// The tracker with the Kalman and the Mamba motion model (the Kalman filter alone with <c>motion: kalman</c>, which
/// trains nothing), each with and without tracklet patching, on the same detections: HOTA, DetA, AssA, MOTA, IDF1,
/// ID switches over all test sequences, to <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "Kalman vs Mamba motion (with/without patching) on held-out sequences -> metrics.json, results.md")]
public sealed class EvaluateTask : JobTask<TrackingJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, TrackingJobOptions options) => TrackingPipeline.CheckNotTrainingOnTheTestSequences(context, options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var sequences = options.Sequences is { } folder
            ? await TrackingPipeline.ReadFolderAsync(context.ResolvePath(folder), cancellation)
            : TrackingPipeline.TestScenes(options.Synthetic);
        var unlabelled = sequences.FirstOrDefault(s => s.Truth.Count == 0);
        if (unlabelled is not null) throw new JobOptionsException("options.sequences", $"sequence '{unlabelled.Info.Name}' has no gt/gt.txt; evaluate needs ground truth");
        double trainSeconds = clock.Elapsed.TotalSeconds;
        // Kalman alone needs no predictor: a user scoring the filter on their own sequences waits for no training.
        var (predictor, training) = options.Motion == "mamba" ? await TrackingPipeline.LoadOrTrainAsync(context, options, cancellation) : (null, null);
        using var _ = predictor;
        trainSeconds = clock.Elapsed.TotalSeconds - trainSeconds;
        IMotionModel[] motions = predictor is null ? [new KalmanBoxModel()] : [new KalmanBoxModel(), new MambaMotionModel(predictor)];

        var rows = new List<EvaluationRow>();
        foreach (var motion in motions)
            foreach (bool patch in new[] { false, true })
            {
                var tracker = options.Tracker with { PatchGaps = patch };
                var runs = sequences.Select(s => (s, TrackingRun.Of(s, motion, tracker, cancellation))).ToList();
                var m = TrackingScores.Of(runs.Select(r => (r.s, r.Item2.Output)));
                double fps = runs.Sum(r => r.s.Info.Length) / runs.Sum(r => r.Item2.Seconds);
                var row = new EvaluationRow(motion.Name, patch, m.Hota.Score, m.Hota.DetA, m.Hota.AssA, m.Clear.Mota, m.Identity.Idf1, m.Clear.IdSwitches, m.Clear.Fragmentations, fps);
                string name = patch ? motion.Name + "+patch" : motion.Name;
                double seconds = runs.Sum(r => r.Item2.Seconds);
                context.Logger.LogTracked("all", name, row.Hota, row.Idf1, row.Mota, seconds, fps);
                rows.Add(row);
            }
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            synthetic = options.Sequences is null,
            sequences = sequences.Select(s => s.Info.Name),
            frames = sequences.Sum(s => s.Info.Length),
            truthBoxes = sequences.Sum(s => s.Truth.Count),
            trainSeconds = Math.Round(trainSeconds, 1),
            predictor = training ?? (object?)(options.Weights is null ? null : new { weights = options.Weights }),
            rows,
        }, cancellation);
        await context.Artifacts.WriteResultsAsync(Results(rows, sequences, options.Sequences is null), cancellation);
    }

    private static ResultsPage Results(List<EvaluationRow> rows, List<MotSequence> sequences, bool synthetic)
    {
        var table = new ResultsTable(ResultsColumn.Text("motion"), ResultsColumn.Text("patching"), ResultsColumn.Number("HOTA", "F4"),
            ResultsColumn.Number("DetA", "F4"), ResultsColumn.Number("AssA", "F4"), ResultsColumn.Number("MOTA", "F4"), ResultsColumn.Number("IDF1", "F4"),
            ResultsColumn.Number("IDSW"), ResultsColumn.Number("Frag"), ResultsColumn.Number("frames/s", "F0"));
        foreach (var r in rows)
            table.Row(r.Motion, r.Patching ? "yes" : "no", r.Hota, r.DetA, r.AssA, r.Mota, r.Idf1, r.IdSwitches, r.Fragmentations, r.FramesPerSecond);
        return new ResultsPage()
            .Paragraph($"{(synthetic ? "Synthetic (simulated) held-out scenes" : "Sequences")}: {sequences.Count}, {sequences.Sum(s => s.Info.Length)} frames, {sequences.Sum(s => s.Truth.Count)} ground-truth boxes; same detections and association for every row.")
            .Table(table);
    }

    private sealed record EvaluationRow(string Motion, bool Patching, double Hota, double DetA, double AssA, double Mota, double Idf1, int IdSwitches, int Fragmentations, double FramesPerSecond);
}

/// <summary>One sequence tracked: the output rows and the time the tracker took.</summary>
internal sealed record TrackingRun(List<MotRow> Output, double Seconds, double FramesPerSecond)
{
    public static TrackingRun Of(MotSequence sequence, IMotionModel motion, TrackerOptions options, CancellationToken cancellation)
    {
        var tracker = new ByteTracker(motion, options);
        var byFrame = sequence.Detections.ToLookup(d => d.Frame);
        var clock = Stopwatch.StartNew();
        for (int frame = 1; frame <= sequence.Info.Length; frame++)
        {
            cancellation.ThrowIfCancellationRequested();
            tracker.Step(frame, [.. byFrame[frame]]);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new TrackingRun([.. tracker.Output], seconds, sequence.Info.Length / seconds);
    }
}

/// <summary>HOTA, CLEAR and Identity combined over sequences.</summary>
internal sealed record TrackingScores(Hota Hota, Clear Clear, Identity Identity)
{
    public static TrackingScores Of(IEnumerable<(MotSequence Sequence, List<MotRow> Output)> runs)
    {
        Hota? hota = null;
        Clear? clear = null;
        Identity? identity = null;
        foreach (var (sequence, output) in runs)
        {
            var matching = SequenceMatching.Build(sequence.Truth, output);
            var (h, c, i) = (Hota.Of(matching), Clear.Of(matching), Identity.Of(matching));
            if (hota is null) (hota, clear, identity) = (h, c, i);
            else { hota.Add(h); clear!.Add(c); identity!.Add(i); }
        }
        return new TrackingScores(hota!, clear!, identity!);
    }
}
