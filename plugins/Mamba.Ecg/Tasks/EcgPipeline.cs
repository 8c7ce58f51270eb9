using Mamba.Ecg.Metrics;
using Mamba.Ecg.Models;
using Mamba.Ecg.Signals;
using Mamba.Ecg.Synthetic;
using Mamba.Ecg.Training;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Ecg.Tasks;

/// <summary>A trained classifier's saved description: its shape and per-class decision thresholds.</summary>
public sealed record SavedEcgModel(EcgModelSpec Spec, double[] Thresholds);

/// <summary>What the ECG tasks share: the synthetic splits, training, saving and loading.</summary>
internal static class EcgPipeline
{
    /// <summary>The saved model's name in a run (under <c>models/</c>).</summary>
    public const string ModelName = "classifier";

    /// <summary>Train, validation and test examples from disjoint seed ranges of the generator, at the model's rate.</summary>
    public static (List<EcgExample> Train, List<EcgExample> Validation, List<EcgExample> Test) Synthetic(JobContext context, EcgJobOptions options)
    {
        var s = options.Synthetic;
        context.Logger.LogSynthetic(s.Train, s.Validation, s.Test, s.Seconds);
        List<EcgExample> Make(int first, int count) => [.. Enumerable.Range(first, count).AsParallel().AsOrdered().Select(seed =>
        {
            var record = SyntheticEcg.Generate(seed, new SyntheticEcgOptions { Seconds = s.Seconds });
            var channels = EcgWindows.Standardise(SyntheticEcg.LeadNames, record.Leads, record.SamplingFrequency, options.Model.SamplingFrequency);
            return new EcgExample(record.Id, channels, [.. EcgCondition.All.Select(c => record.Codes.Contains(c))]);
        })];
        return (Make(s.Seed, s.Train), Make(s.Seed + s.Train, s.Validation), Make(s.Seed + s.Train + s.Validation, s.Test));
    }

    public static EcgModelSpec Spec(EcgJobOptions options, bool mamba) =>
        new(mamba, options.Model.DModel, options.Model.Layers, options.Model.DState, [.. EcgCondition.All], options.Model.SamplingFrequency, options.Model.WindowSeconds);

    /// <summary>Trains a model of <paramref name="spec"/> and tunes its thresholds on validation (lead set <paramref name="set"/>).</summary>
    public static (EcgClassifier Model, double[] Thresholds) Train(JobContext context, EcgJobOptions options, EcgModelSpec spec, List<EcgExample> train, List<EcgExample> validation, LeadSet set, CancellationToken cancellation)
    {
        random.manual_seed(options.Training.Seed);
        var model = new EcgClassifier(spec);
        EcgTraining.Fit(context.Training, spec.Mamba ? "cnn-mamba" : "cnn", model, train, validation, options.Training, cancellation);
        var thresholds = MultilabelMetrics.TuneThresholds([.. validation.Select(e => e.Labels)], EcgTraining.Probabilities(model, validation, set));
        return (model, thresholds);
    }

    public static void Save(JobContext context, EcgClassifier model, double[] thresholds) =>
        context.Models.Save(ModelName, model, new SavedEcgModel(model.Spec, thresholds));

    /// <summary>The model of <c>model.weights</c>, or one trained now on the synthetic training set.</summary>
    public static (EcgClassifier Model, double[] Thresholds) LoadOrTrain(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        if (options.Model.Weights is { } weights)
        {
            var (model, saved) = context.Models.Load<SavedEcgModel, EcgClassifier>(weights, ModelName, saved => new EcgClassifier(saved.Spec));
            return (model, saved.Thresholds);
        }
        var (train, validation, _) = Synthetic(context, options);
        return Train(context, options, Spec(options, mamba: true), train, validation, LeadSet.Named(options.LeadSet), cancellation);
    }
}
