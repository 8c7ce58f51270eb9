using System.ComponentModel.DataAnnotations;
using Mamba.Core.Training;
using Mamba.Sdk.Training;
using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;
using Mamba.Tracking.Motion;
using static TorchSharp.torch;

namespace Mamba.Tracking.Training;

/// <summary>
/// Training of the motion predictor: 8 epochs at most of 256 windows a batch, warm-up over the first, cosine to 5 % of
/// the peak, early stopping after 3 epochs without a better validation loss (the best epoch's weights are kept).
/// </summary>
public sealed class MotionTrainingOptions : TrainingSection
{
    /// <summary>The motion defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public MotionTrainingOptions()
    {
        Epochs = 8;
        BatchSize = 256;
        LearningRate = 2e-3;
        MinLearningRateRatio = 0.05;
        WarmupEpochs = 1;
        Patience = 3;
    }

    /// <summary>
    /// Jitter added to the input boxes, as a fraction of the box height, so the predictor learns from boxes as noisy as
    /// detections; targets stay the clean next box.
    /// </summary>
    [Range(0.0, 1.0)]
    public double InputJitter { get; set; } = 0.04;

    /// <summary>Share of windows cut to a random shorter history (young tracks).</summary>
    [Range(0.0, 1.0)]
    public double ShortHistoryRate { get; set; } = 0.2;
}

/// <summary>Supervised windows: K input deltas of F values → O target values.</summary>
public sealed class MotionWindows
{
    /// <summary>Wraps row-major arrays: <paramref name="inputs"/> (count, K, F) and <paramref name="targets"/> (count, O).</summary>
    public MotionWindows(float[] inputs, float[] targets, int history, int features, int outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Length % outputs != 0 || inputs.Length / (history * features) != targets.Length / outputs || inputs.Length % (history * features) != 0)
            throw new ArgumentException($"inputs ({inputs.Length}) and targets ({targets.Length}) are not (count, {history}, {features}) and (count, {outputs})");
        Inputs = inputs;
        Targets = targets;
        History = history;
        Features = features;
        Outputs = outputs;
    }

    /// <summary>(count, K, F) row-major.</summary>
    public float[] Inputs { get; }

    /// <summary>(count, O).</summary>
    public float[] Targets { get; }

    /// <summary>K.</summary>
    public int History { get; }

    /// <summary>F.</summary>
    public int Features { get; }

    /// <summary>O.</summary>
    public int Outputs { get; }

    /// <summary>Windows.</summary>
    public int Count => Targets.Length / Outputs;

    /// <summary>
    /// Box windows from ground-truth tracks (rows grouped by id, cut into runs of consecutive frames): K deltas of
    /// jittered boxes → the delta to the next clean box.
    /// </summary>
    public static MotionWindows From(IEnumerable<IReadOnlyList<MotRow>> truth, int history, MotionTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var inputs = new List<float>();
        var targets = new List<float>();
        var window = new float[history * BoxDeltas.Features];
        var delta = new float[BoxDeltas.Features];
        foreach (var sequence in truth)
            foreach (var track in sequence.GroupBy(r => r.Id).SelectMany(Contiguous))
            {
                var clean = track.Select(r => r.Box).ToArray();
                var noisy = clean.Select(b =>
                {
                    double s = options.InputJitter * b.Height;
                    return Box.FromCenter(b.CenterX + s * Normal(), b.CenterY + s * Normal(), Math.Max(1, b.Width + s * Normal()), Math.Max(1, b.Height + s * Normal()));
                }).ToArray();
                for (int t = 0; t + 1 < clean.Length; t++)
                {
                    int length = Math.Min(t, history);
                    if (random.NextDouble() < options.ShortHistoryRate) length = random.Next(length + 1);
                    BoxDeltas.Window(new ArraySegment<Box>(noisy, t - length, length + 1), history, window);
                    BoxDeltas.Write(noisy[t], clean[t + 1], noisy[t], delta);
                    inputs.AddRange(window);
                    targets.AddRange(delta);
                }
            }
        return new MotionWindows([.. inputs], [.. targets], history, BoxDeltas.Features, BoxDeltas.Features);
    }

    /// <summary>A track's rows in frame order, cut where frames are missing (a delta spans exactly one frame).</summary>
    private static IEnumerable<List<MotRow>> Contiguous(IEnumerable<MotRow> track)
    {
        var segment = new List<MotRow>();
        foreach (var row in track.OrderBy(r => r.Frame))
        {
            if (segment.Count > 0 && row.Frame != segment[^1].Frame + 1)
            {
                yield return segment;
                segment = [];
            }
            segment.Add(row);
        }
        if (segment.Count > 0) yield return segment;
    }

    /// <summary>Mean smooth-L1 loss of <paramref name="predictor"/> on these windows (no gradients).</summary>
    public double Loss(MotionPredictor predictor, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        double total = 0;
        predictor.eval();
        using var noGrad = no_grad();
        for (int start = 0; start < Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var (x, y) = Batch(Enumerable.Range(start, Math.Min(batchSize, Count - start)).ToArray());
            total += nn.functional.smooth_l1_loss(predictor.forward(x), y, reduction: nn.Reduction.Sum).item<float>();
        }
        return total / (Count * Outputs);
    }

    /// <summary>The windows at <paramref name="indices"/> as tensors.</summary>
    public (Tensor Inputs, Tensor Targets) Batch(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int size = History * Features;
        var x = new float[indices.Length * size];
        var y = new float[indices.Length * Outputs];
        for (int i = 0; i < indices.Length; i++)
        {
            Array.Copy(Inputs, (long)indices[i] * size, x, (long)i * size, size);
            Array.Copy(Targets, (long)indices[i] * Outputs, y, (long)i * Outputs, Outputs);
        }
        return (tensor(x).view(indices.Length, History, Features), tensor(y).view(indices.Length, Outputs));
    }
}

/// <summary>Fits a <see cref="MotionPredictor"/> on training windows, early-stopped and selected on validation windows.</summary>
public static class MotionTraining
{
    /// <summary>
    /// Trains a predictor as fit <paramref name="name"/> of <paramref name="training"/> and returns it with its best
    /// validation epoch's weights.
    /// </summary>
    public static (MotionPredictor Predictor, TrainingResult Result) Fit(TrainingRun training, string name, MotionWindows train, MotionWindows validation, MotionPredictorOptions model, MotionTrainingOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        if (model.Horizon * train.Features != train.Outputs)
            throw new ArgumentException($"the windows have {train.Outputs} targets; a predictor of {train.Features} features and horizon {model.Horizon} makes {model.Horizon * train.Features}");
        if (train.Count == 0 || validation.Count == 0) throw new ArgumentException($"{train.Count} training and {validation.Count} validation windows; both need at least one");
        random.manual_seed(options.Seed);
        var predictor = new MotionPredictor(train.Features, model);
        // Whole batches only: a last, smaller batch would weigh its few windows more.
        int batches = Math.Max(1, train.Count / options.BatchSize);
        var result = training.Fit<int[]>(name, predictor, options,
            epoch =>
            {
                var order = Enumerable.Range(0, train.Count).ToArray();
                new Random(options.SeedFor(epoch)).Shuffle(order);
                return [.. Enumerable.Range(0, batches).Select(b => order[(b * options.BatchSize)..Math.Min((b + 1) * options.BatchSize, order.Length)])];
            },
            indices =>
            {
                var (x, y) = train.Batch(indices);
                return nn.functional.smooth_l1_loss(predictor.forward(x), y);
            },
            () => validation.Loss(predictor, 1024),
            cancellation: cancellation);
        return (predictor, result);
    }
}
