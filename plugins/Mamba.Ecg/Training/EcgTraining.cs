using Mamba.Core.Training;
using Mamba.Sdk.Training;
using Mamba.Ecg.Models;
using Mamba.Ecg.Signals;
using static TorchSharp.torch;

namespace Mamba.Ecg.Training;

/// <summary>A recording ready for the model: its 12 channels at the model's rate (null where absent) and its labels.</summary>
/// <param name="Id">The record's name.</param>
/// <param name="Channels">The 12 standard leads at the model's rate, null where the record lacks one.</param>
/// <param name="Labels">One flag per model class.</param>
/// <param name="Codes">Every SNOMED CT code of the record, scored by the model or not (the challenge score counts them all).</param>
public sealed record EcgExample(string Id, float[]?[] Channels, bool[] Labels, IReadOnlyList<string> Codes);

/// <summary>Binary cross-entropy training of an <see cref="EcgClassifier"/> on the first window of each example.</summary>
public static class EcgTraining
{
    /// <summary>
    /// Trains <paramref name="model"/> as fit <paramref name="name"/> of <paramref name="training"/>; the validation
    /// metric is the mean binary cross-entropy with all 12 leads.
    /// </summary>
    public static TrainingResult Fit(TrainingRun training, string name, EcgClassifier model, IReadOnlyList<EcgExample> train, IReadOnlyList<EcgExample> validation, EcgTrainingOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        int samples = model.Spec.WindowSamples;
        return training.Fit<(EcgExample Example, LeadSet Set)[]>(name, model, options,
            epoch =>
            {
                var random = new Random(options.SeedFor(epoch));
                return [.. train.OrderBy(_ => random.Next())
                    .Select(e => (e, options.RandomLeadSets ? LeadSet.All[random.Next(LeadSet.All.Count)] : LeadSet.Twelve))
                    .Chunk(options.BatchSize)];
            },
            batch =>
            {
                var input = EcgWindows.Batch([.. batch.Select(b => EcgWindows.Window(b.Example.Channels, 0, samples, b.Set))], samples);
                return nn.functional.binary_cross_entropy_with_logits(model.forward(input), Targets(batch.Select(b => b.Example.Labels)));
            },
            () =>
            {
                using var scope = NewDisposeScope();
                var probabilities = Probabilities(model, validation, LeadSet.Twelve);
                using var predicted = tensor(probabilities.SelectMany(p => p.Select(v => (float)v)).ToArray()).view(validation.Count, -1).clamp(1e-6, 1 - 1e-6);
                var loss = nn.functional.binary_cross_entropy(predicted, Targets(validation.Select(e => e.Labels))).item<float>();
                model.train();
                return loss;
            },
            "validation BCE", cancellation: cancellation);
    }

    /// <summary>Class probabilities of each example's first window, with <paramref name="set"/> as the leads present.</summary>
    public static double[][] Probabilities(EcgClassifier model, IReadOnlyList<EcgExample> examples, LeadSet set, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(examples);
        int samples = model.Spec.WindowSamples;
        return Probabilities(model, [.. examples.Select(e => EcgWindows.Window(e.Channels, 0, samples, set))], batchSize);
    }

    /// <summary>Class probabilities of prepared windows (24 × window samples each), in batches.</summary>
    public static double[][] Probabilities(EcgClassifier model, IReadOnlyList<float[]> windows, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(windows);
        model.eval();
        using var noGrad = no_grad();
        var rows = new List<double[]>();
        int samples = model.Spec.WindowSamples, classes = model.Spec.Classes.Length;
        foreach (var chunk in windows.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var probabilities = sigmoid(model.forward(EcgWindows.Batch(chunk, samples))).to_type(float64).data<double>().ToArray();
            for (int i = 0; i < chunk.Length; i++) rows.Add(probabilities.AsSpan(i * classes, classes).ToArray());
        }
        return [.. rows];
    }

    private static Tensor Targets(IEnumerable<bool[]> labels)
    {
        var rows = labels.ToList();
        return tensor(rows.SelectMany(l => l.Select(b => b ? 1f : 0f)).ToArray()).view(rows.Count, -1);
    }
}
