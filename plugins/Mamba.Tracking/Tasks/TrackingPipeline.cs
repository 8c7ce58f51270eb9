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
    public static async Task<List<MotSequence>> ReadFolderAsync(string root, CancellationToken cancellation)
    {
        if (!Directory.Exists(root)) throw new JobOptionsException("options.sequences", $"{root} is not a folder");
        var folders = Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, "seqinfo.ini"))).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new JobOptionsException("options.sequences", $"{root} has no sequence folders (a sequence is a folder with seqinfo.ini and det/det.txt)");
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

    /// <summary>The predictor from <c>options.weights</c>, or trained on synthetic scenes.</summary>
    public static MotionPredictor LoadOrTrain(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        if (options.Weights is { } weights)
        {
            return context.Models.Load<MotionPredictorOptions, MotionPredictor>(weights, ModelName, saved => new MotionPredictor(BoxDeltas.Features, saved), "options.weights").Model;
        }
        var train = MotionWindows.From(Scenes(options.Synthetic, "synthetic-train", 0, options.Synthetic.TrainSequences).Select(s => s.Truth), options.Predictor.History, options.Training);
        var validation = MotionWindows.From(Scenes(options.Synthetic, "synthetic-val", 1000, options.Synthetic.ValidationSequences).Select(s => s.Truth), options.Predictor.History, options.Training);
        context.Logger.LogWindows(train.Count, validation.Count);
        return MotionTraining.Fit(context.Training, ModelName, train, validation, options.Predictor, options.Training, cancellation).Predictor;
    }

    public static void Save(JobContext context, MotionPredictor predictor) => context.Models.Save(ModelName, predictor, predictor.Options);
}
