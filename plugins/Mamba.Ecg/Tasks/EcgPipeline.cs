using Mamba.Ecg.Metrics;
using Mamba.Ecg.Models;
using Mamba.Ecg.Signals;
using Mamba.Ecg.Synthetic;
using Mamba.Ecg.Training;
using Mamba.Ecg.Wfdb;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Ecg.Tasks;

/// <summary>A trained classifier's saved description: its shape and per-class decision thresholds.</summary>
public sealed record SavedEcgModel(EcgModelSpec Spec, double[] Thresholds);

/// <summary>The examples of a run's three splits, the classes the model learns, and where they came from.</summary>
/// <param name="Train">Examples the model is fitted on.</param>
/// <param name="Validation">Examples for early stopping and the per-class thresholds.</param>
/// <param name="Test">Held-out examples that <c>evaluate</c> scores.</param>
/// <param name="Classes">SNOMED CT codes, or challenge classes of equivalent codes joined with <c>|</c>.</param>
/// <param name="Synthetic">Whether the records came from the generator.</param>
/// <param name="Source">What <c>metrics.json</c> says of the data: synthetic, or the folder and its counts.</param>
internal sealed record EcgData(List<EcgExample> Train, List<EcgExample> Validation, List<EcgExample> Test, string[] Classes, bool Synthetic, object Source);

/// <summary>What the ECG tasks share: the data (synthetic or a labelled folder), training, saving and loading.</summary>
internal static class EcgPipeline
{
    /// <summary>The saved model's name in a run (under <c>models/</c>).</summary>
    public const string ModelName = "classifier";

    /// <summary>The labelled records of <c>data.records</c> when set, otherwise the synthetic generator's.</summary>
    public static EcgData Data(JobContext context, EcgJobOptions options, CancellationToken cancellation) =>
        options.Data.Records is null ? Synthetic(context, options) : Records(context, options, cancellation);

    /// <summary>
    /// What runs before a run starts when the job names a folder: every header parsed, the split made, each split
    /// (the test split only when <paramref name="needsTest"/>) holding records with scored labels.
    /// </summary>
    public static void CheckRecords(JobCheckContext context, EcgJobOptions options, bool needsTest, CancellationToken cancellation = default)
    {
        if (options.Data.Records is null) return;
        var (folder, splits) = Split(context, options, cancellation);
        if (splits.Train.Count == 0 || splits.Validation.Count == 0 || (needsTest && splits.Test.Count == 0))
            throw new JobOptionsException("options.data",
                $"{folder}: {splits.Train.Count} training, {splits.Validation.Count} validation and {splits.Test.Count} test records with a scored #Dx code " +
                $"({splits.Unlabelled} without one{(splits.Unlisted > 0 ? $", {splits.Unlisted} not in the split file" : "")}); every split needs at least one");
        ClassesOf(folder, splits.Train);
    }

    /// <summary>Train, validation and test examples from disjoint seed ranges of the generator, at the model's rate.</summary>
    private static EcgData Synthetic(JobContext context, EcgJobOptions options)
    {
        var s = options.Synthetic;
        context.Logger.LogSynthetic(s.Train, s.Validation, s.Test, s.Seconds);
        List<EcgExample> Make(int first, int count) => [.. Enumerable.Range(first, count).AsParallel().AsOrdered().Select(seed =>
        {
            var record = SyntheticEcg.Generate(seed, new SyntheticEcgOptions { Seconds = s.Seconds, SamplingFrequency = s.SamplingFrequency });
            var channels = EcgWindows.Standardise(SyntheticEcg.LeadNames, record.Leads, record.SamplingFrequency, options.Model.SamplingFrequency);
            return new EcgExample(record.Id, channels, [.. EcgCondition.All.Select(c => record.Codes.Contains(c))], record.Codes);
        })];
        var (train, validation, test) = (Make(s.Seed, s.Train), Make(s.Seed + s.Train, s.Validation), Make(s.Seed + s.Train + s.Validation, s.Test));
        return new EcgData(train, validation, test, [.. EcgCondition.All], Synthetic: true,
            new { synthetic = true, note = "records of the synthetic generator, not real recordings", train = train.Count, validation = validation.Count, test = test.Count });
    }

    private static EcgData Records(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var (folder, splits) = Split(context, options, cancellation);
        string[] classes = ClassesOf(folder, splits.Train);
        context.Logger.LogRecords(folder, splits.Train.Count, splits.Validation.Count, splits.Test.Count, splits.Unlabelled, classes.Length);
        List<EcgExample> Read(IReadOnlyList<LabelledRecord> records) =>
            [.. records.AsParallel().AsOrdered().WithCancellation(cancellation).Select(r => Example(r, classes, options.Model.SamplingFrequency))];
        var (train, validation, test) = (Read(splits.Train), Read(splits.Validation), Read(splits.Test));
        int[] Positives(List<EcgExample> split) => [.. classes.Select((_, k) => split.Count(e => e.Labels[k]))];
        return new EcgData(train, validation, test, classes, Synthetic: false, new
        {
            synthetic = false,
            folder,
            train = train.Count,
            validation = validation.Count,
            test = test.Count,
            leftOut = new { noScoredLabel = splits.Unlabelled, notInSplitFile = splits.Unlisted },
            positives = classes.Select((c, k) => new { @class = ScoredDiagnoses.Abbreviation(c), codes = c, train = Positives(train)[k], validation = Positives(validation)[k], test = Positives(test)[k] }),
        });
    }

    private static (string Folder, RecordSplits Splits) Split(JobCheckContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        var data = options.Data;
        string folder = context.ResolvePath(data.Records!);
        var records = LabelledRecordFolder.Find(folder, cancellation);
        bool Labelled(LabelledRecord r) => ScoredDiagnoses.Score.Encode(r.Codes).Any(hot => hot);
        var splits = data.SplitFile is { } file
            ? LabelledRecordFolder.Split(records, Labelled, context.ResolvePath(file))
            : LabelledRecordFolder.Split(records, Labelled, data.ValidationFraction, data.TestFraction, data.Seed);
        return (folder, splits);
    }

    /// <summary>The challenge's scored classes that at least one training record carries, in the challenge's order.</summary>
    /// <exception cref="DataFormatException">No training record carries one.</exception>
    private static string[] ClassesOf(string folder, IReadOnlyList<LabelledRecord> train)
    {
        var score = ScoredDiagnoses.Score;
        var present = new bool[score.Classes.Count];
        foreach (var record in train)
        {
            var hot = score.Encode(record.Codes);
            for (int c = 0; c < hot.Length; c++) present[c] |= hot[c];
        }
        return present.Contains(true) ? [.. ScoredDiagnoses.ClassLabels.Where((_, c) => present[c])]
            : throw new DataFormatException(folder, "no training record has a scored #Dx code");
    }

    private static EcgExample Example(LabelledRecord record, string[] classes, double rate)
    {
        var channels = EcgWindows.Standardise(record.HeaderPath, WfdbFiles.Read(record.HeaderPath), rate);
        var hot = ScoredDiagnoses.Score.Encode(record.Codes);
        bool[] labels = [.. classes.Select(c => hot[ScoredDiagnoses.Score.ClassOf(c.Split('|')[0])!.Value])];
        return new EcgExample(record.Name, channels, labels, record.Codes);
    }

    public static EcgModelSpec Spec(EcgJobOptions options, string[] classes, bool mamba) =>
        new(mamba, options.Model.DModel, options.Model.Layers, options.Model.DState, classes, options.Model.SamplingFrequency, options.Model.WindowSeconds);

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

    /// <summary>The model of <c>model.weights</c>, or one trained now on the job's training data.</summary>
    public static (EcgClassifier Model, double[] Thresholds) LoadOrTrain(JobContext context, EcgJobOptions options, CancellationToken cancellation)
    {
        if (options.Model.Weights is { } weights)
        {
            var (model, saved) = context.Models.Load<SavedEcgModel, EcgClassifier>(weights, ModelName, saved => new EcgClassifier(saved.Spec));
            return (model, saved.Thresholds);
        }
        var data = Data(context, options, cancellation);
        return Train(context, options, Spec(options, data.Classes, mamba: true), data.Train, data.Validation, LeadSet.Named(options.LeadSet), cancellation);
    }
}
