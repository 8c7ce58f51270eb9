using Mamba.Sdk.Jobs;
using Mamba.Tracking.Data;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Training;

namespace Mamba.Tracking.Tasks;

/// <summary>A MOTChallenge sequence in memory; <see cref="Truth"/> is empty when the sequence has no gt.txt.</summary>
public sealed record MotSequence(SequenceInfo Info, List<MotRow> Detections, List<MotRow> Truth);

/// <summary>What the tracking tasks share: synthetic scenes, sequence folders, the predictor (trained or loaded).</summary>
internal static class TrackingPipeline
{
    /// <summary>The saved predictor's name in a run (under <c>models/</c>).</summary>
    public const string ModelName = "predictor";

    public static IEnumerable<SyntheticSequence> Scenes(SyntheticOptions options, string prefix, int seedOffset, int count) =>
        Enumerable.Range(0, count).Select(i => SceneSimulator.Generate($"{prefix}-{i + 1:D2}", options.Scene, options.Seed + seedOffset + i));

    public static List<MotSequence> TestScenes(SyntheticOptions options) =>
        [.. Scenes(options, "synthetic-test", 2000, options.TestSequences).Select(s => new MotSequence(s.Info, s.Detections, s.Truth))];

    /// <summary>Every sequence folder under <paramref name="root"/> (a folder holding <c>seqinfo.ini</c>).</summary>
    public static async Task<List<MotSequence>> ReadFolderAsync(string root, CancellationToken cancellation, string key = "options.sequences")
    {
        if (!Directory.Exists(root)) throw new JobOptionsException(key, $"{root} is not a folder");
        var folders = Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "seqinfo.ini"))).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new JobOptionsException(key, $"{root} has no sequence folders (a sequence is a folder with seqinfo.ini and det/det.txt)");
        var sequences = new List<MotSequence>();
        foreach (string folder in folders)
        {
            var info = await SequenceInfo.ReadAsync(Path.Combine(folder, "seqinfo.ini"), cancellation);
            var detections = await MotFiles.ReadAsync(Path.Combine(folder, "det", "det.txt"), groundTruth: false, cancellation);
            string gt = Path.Combine(folder, "gt", "gt.txt");
            var truth = File.Exists(gt) ? await MotFiles.ReadAsync(gt, groundTruth: true, cancellation) : [];
            sequences.Add(new MotSequence(info, detections, truth));
        }
        return sequences;
    }

    /// <summary>What a trained predictor learnt from, for <c>metrics.json</c>.</summary>
    public sealed record PredictorTraining(string Source, int TrainWindows, int ValidationWindows, double? BestValidationLoss, int EpochsRun);

    /// <summary>
    /// The predictor from <c>options.weights</c>, or trained now: on the ground truth of <c>trainSequences</c> when
    /// set (every fifth track by id held out for validation), otherwise on synthetic scenes.
    /// </summary>
    public static async Task<(MotionPredictor Predictor, PredictorTraining? Training)> LoadOrTrainAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        if (options.Weights is { } weights)
        {
            var loaded = context.Models.Load<MotionPredictorOptions, MotionPredictor>(weights, ModelName, saved => new MotionPredictor(BoxDeltas.Features, saved), "options.weights").Model;
            return (loaded, null);
        }
        IEnumerable<IReadOnlyList<MotRow>> trainTracks, validationTracks;
        string source;
        if (options.TrainSequences is { } folder)
        {
            source = context.ResolvePath(folder);
            var sequences = await ReadFolderAsync(source, cancellation, "options.trainSequences");
            if (sequences.FirstOrDefault(s => s.Truth.Count == 0) is { } unlabelled)
                throw new JobOptionsException("options.trainSequences", $"sequence '{unlabelled.Info.Name}' has no gt/gt.txt; the predictor learns from ground-truth tracks");
            // Boxes the benchmark does not evaluate (other classes, "ignore" flags) are not the motion to learn.
            var evaluated = sequences.Select(s => s.Truth.Where(r => r.Confidence > 0 && r.Class is 1 or -1).ToList()).ToList();
            trainTracks = evaluated.Select(rows => (IReadOnlyList<MotRow>)[.. rows.Where(r => r.Id % 5 != 4)]);
            validationTracks = evaluated.Select(rows => (IReadOnlyList<MotRow>)[.. rows.Where(r => r.Id % 5 == 4)]);
        }
        else
        {
            source = "synthetic scenes";
            trainTracks = Scenes(options.Synthetic, "synthetic-train", 0, options.Synthetic.TrainSequences).Select(s => s.Truth);
            validationTracks = Scenes(options.Synthetic, "synthetic-val", 1000, options.Synthetic.ValidationSequences).Select(s => s.Truth);
        }
        var train = MotionWindows.From(trainTracks, options.Predictor.History, options.Training);
        var validation = MotionWindows.From(validationTracks, options.Predictor.History, options.Training);
        if (train.Count == 0 || validation.Count == 0)
            throw new JobOptionsException(options.TrainSequences is null ? "options.synthetic" : "options.trainSequences",
                $"{source} give {train.Count} training and {validation.Count} validation windows (a window needs a track of two or more consecutive frames, " +
                "and every fifth track id is held out); both need at least one");
        context.Logger.LogWindows(train.Count, validation.Count, source);
        var (predictor, result) = MotionTraining.Fit(context.Training, ModelName, train, validation, options.Predictor, options.Training, cancellation);
        return (predictor, new PredictorTraining(source, train.Count, validation.Count, result.BestValidationMetric, result.EpochsRun));
    }

    /// <summary>
    /// Refuses a job that would score a predictor trained now on the very sequences it tracks: <c>evaluate</c> and
    /// <c>track</c> with Mamba motion, no weights, and <c>trainSequences</c> the same folder as <c>sequences</c>.
    /// </summary>
    public static void CheckNotTrainingOnTheTestSequences(JobCheckContext context, TrackingJobOptions options)
    {
        if (options is not { Motion: "mamba", Weights: null, TrainSequences: { } train, Sequences: { } test }) return;
        if (Path.GetFullPath(context.ResolvePath(train)).TrimEnd('/') == Path.GetFullPath(context.ResolvePath(test)).TrimEnd('/'))
            throw new JobOptionsException("options.trainSequences",
                "is the folder of options.sequences: the predictor would be scored on its own training tracks; train on other sequences (or run train first and name its run in weights)");
    }

    public static void Save(JobContext context, MotionPredictor predictor) => context.Models.Save(ModelName, predictor, predictor.Options);
}
