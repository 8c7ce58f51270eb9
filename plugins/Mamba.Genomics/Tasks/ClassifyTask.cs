using Mamba.Genomics.Classification;
using Mamba.Genomics.Models;
using Mamba.Genomics.Training;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Genomics.Tasks;

/// <summary>The saved description of a fine-tuned classifier.</summary>
public sealed record SavedClassifier(DnaModelSpec Encoder, string[] Classes, bool RcConjoin);

/// <summary>
/// Fine-tunes a Mamba sequence classifier (mean pooling; from a pretrained model when <c>model.weights</c> is set)
/// and fits the k-mer logistic-regression baseline on the same leakage-free split; test accuracy and MCC of both to
/// <c>metrics.json</c> and <c>results.md</c>, the classifier's test predictions to <c>predictions.parquet</c>.
/// </summary>
[JobTask("classify", Description = "Fine-tune a sequence classifier vs a k-mer logistic regression")]
public sealed class ClassifyTask : SequenceJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GenomicsJobOptions options, CancellationToken cancellation)
    {
        var c = options.Classify;
        if (c.TrainFraction + c.ValidationFraction >= 1) throw new JobOptionsException("options.classify.validationFraction", "trainFraction + validationFraction must leave a test share");
        string source = context.ResolvePath(options.Data.Sequences);
        var records = await GenomicsPipeline.ReadRecordsAsync(context, options.Data, cancellation);
        var set = c.Source == ClassificationSource.PromoterWindows
            ? LabelledSequences.FromPromoterWindows(records, c.WindowLength, source)
            : LabelledSequences.FromLabelledFasta(records, source);
        var split = LabelledSequences.Split(set, c.TrainFraction, c.ValidationFraction, c.Seed);
        context.Logger.LogClassificationData(split.Train.Length, split.Validation.Length, split.Test.Length, set.DroppedDuplicates, split.Groups);
        if (split.Validation.Length == 0 || split.Test.Length == 0)
            throw new JobOptionsException("options.classify", $"{split.Groups} groups leave no validation or test sequences; use more data or larger shares");
        int classes = set.Classes.Count;
        int[] truth = [.. split.Test.Select(s => s.Label)];

        var kmer = KmerLogisticRegression.Select(split.Train, split.Validation, classes, c.MaxKmer, cancellation);
        int[] kmerPredicted = kmer.Predict(split.Test);
        var kmerScores = Scores(truth, kmerPredicted, classes);
        string kmerName = FormattableString.Invariant($"k-mer logistic regression (k ≤ {kmer.MaxK}, L2 {kmer.Penalty})");
        context.Logger.LogClassification(kmerName, kmerScores.Accuracy, kmerScores.Mcc);

        random.manual_seed(c.Seed);
        var encoder = GenomicsPipeline.CreateOrLoad(context, options.Model);
        using var classifier = new SequenceClassifier(encoder, classes, c.Dropout, c.RcConjoin);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (c.PretrainEpochs > 0)
        {
            // The model's own objective on the training split's sequences, one epoch a pass over them.
            var pretraining = (GenomicsTrainingOptions)options.Training.Copy();
            pretraining.Window = split.Train.Min(s => s.Tokens.Length);
            pretraining.BatchSize = c.BatchSize;
            pretraining.StepsPerEpoch = (split.Train.Length + c.BatchSize - 1) / c.BatchSize;
            pretraining.Epochs = c.PretrainEpochs;
            Pretraining.Fit(context.Training, "pretrain", encoder, [.. split.Train.Select(s => s.Tokens)], [.. split.Validation.SelectMany(s => s.Tokens)], pretraining, cancellation);
        }
        ClassifierTraining.Fit(context.Training, "classify", classifier, split.Train, split.Validation, c, cancellation);
        double seconds = clock.Elapsed.TotalSeconds;
        var probabilities = ClassifierTraining.Probabilities(classifier, split.Test, c.BatchSize);
        int[] predicted = ClassifierTraining.Predict(probabilities);
        var mambaScores = Scores(truth, predicted, classes);
        var spec = encoder.Spec;
        string mambaName = FormattableString.Invariant($"Mamba classifier ({spec.Layers}, d_model {spec.ModelDim}{(spec.ReverseComplementEquivariant ? ", RCPS" : "")}{(c.RcConjoin ? ", RC conjoin" : "")}{(options.Model.Weights is not null ? ", pretrained" : c.PretrainEpochs > 0 ? ", pretrained on the training split" : ", from scratch")})");
        context.Logger.LogClassification(mambaName, mambaScores.Accuracy, mambaScores.Mcc);

        context.Models.Save("classifier", classifier, new SavedClassifier(spec, [.. set.Classes], c.RcConjoin));
        var columns = new List<ParquetColumn>
        {
            new("id", split.Test.Select(s => s.Id).ToArray()),
            new("label", split.Test.Select(s => set.Classes[s.Label]).ToArray()),
            new("predicted", predicted.Select(p => set.Classes[p]).ToArray()),
        };
        for (int k = 0; k < classes; k++) columns.Add(new($"p_{set.Classes[k]}", probabilities.Select(p => (double)p[k]).ToArray()));
        await context.Artifacts.WriteParquetAsync("predictions.parquet", columns, cancellation: cancellation);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            sequencesFile = options.Data.Sequences,
            dataset = c.Source.ToString(),
            classes = set.Classes,
            sequences = new { train = split.Train.Length, validation = split.Validation.Length, test = split.Test.Length, groups = split.Groups, droppedDuplicates = set.DroppedDuplicates },
            mamba = new { name = mambaName, mambaScores.Accuracy, mambaScores.Mcc, trainingSeconds = seconds },
            kmer = new { name = kmerName, kmerScores.Accuracy, kmerScores.Mcc, kmer.MaxK, kmer.Penalty },
        }, cancellation);
        var table = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Number("accuracy", "F4"), ResultsColumn.Number("MCC", "F4"))
            .Row(mambaName, mambaScores.Accuracy, mambaScores.Mcc)
            .Row(kmerName, kmerScores.Accuracy, kmerScores.Mcc);
        await context.Artifacts.WriteResultsAsync(new ResultsPage()
            .Paragraph($"Test set: {split.Test.Length} sequences ({string.Join(", ", set.Classes)}); split by group, {split.Groups} groups, {set.DroppedDuplicates} duplicate records dropped.")
            .Table(table), cancellation);
    }

    private static (double Accuracy, double Mcc) Scores(int[] truth, int[] predicted, int classes) =>
        (ClassificationMetrics.Accuracy(truth, predicted), ClassificationMetrics.MatthewsCorrelation(truth, predicted, classes));
}
