using System.Globalization;
using Mamba.Graphs.Data;
using Mamba.Graphs.Training;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Graphs.Tasks;

/// <summary>Trains GMN on one split (seed <c>training.seed</c>) and saves it under <c>model/</c>.</summary>
[JobTask("train", Description = "Train a Graph Mamba Network node classifier")]
public sealed class TrainTask : GraphJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GraphJobOptions options, CancellationToken cancellation)
    {
        using var pipeline = await GraphPipeline.LoadAsync(context, options, cancellation);
        using var model = pipeline.FitOrLoad(cancellation);
        var split = NodeSplit.For(pipeline.Graph, options.Split, options.Training.Seed);
        using var predictions = pipeline.Classification.PredictGmn(model, options.Training.Seed);
        pipeline.Save(model);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            validationAccuracy = predictions.Accuracy(pipeline.Graph, split.Validation),
            testAccuracy = predictions.Accuracy(pipeline.Graph, split.Test),
            nodes = pipeline.Graph.NodeCount,
        }, cancellation);
    }
}

/// <summary>
/// GMN against the 2-layer GCN and label propagation over several runs (seed and random split per run): test accuracy
/// mean ± standard deviation, to <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "GMN vs GCN and label propagation, mean ± std over runs")]
public sealed class EvaluateTask : GraphJobTask
{
    private static readonly string[] Models = ["gmn", "gcn", "label-propagation"];

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GraphJobOptions options, CancellationToken cancellation)
    {
        using var pipeline = await GraphPipeline.LoadAsync(context, options, cancellation);
        var graph = pipeline.Graph;
        var runs = new List<RunScores>();
        using (var bar = context.Progress.Start("runs", options.Runs))
        {
            for (int run = 0; run < options.Runs; run++)
            {
                int seed = options.Training.Seed + run;
                var split = NodeSplit.For(graph, options.Split, seed);
                var scores = new Dictionary<string, NodeResult>();

                var (gmn, gmnFit) = pipeline.Classification.TrainGmn(context.Training, $"gmn-run{run + 1}", split, seed, cancellation);
                using (gmn)
                using (var predictions = pipeline.Classification.PredictGmn(gmn, seed))
                    scores["gmn"] = new NodeResult("gmn", predictions.Accuracy(graph, split.Validation), predictions.Accuracy(graph, split.Test), gmnFit.EpochsRun);

                var (gcn, gcnFit) = pipeline.Classification.RunGcn(context.Training, $"gcn-run{run + 1}", split, seed, cancellation);
                using (gcn)
                    scores["gcn"] = new NodeResult("gcn", gcn.Accuracy(graph, split.Validation), gcn.Accuracy(graph, split.Test), gcnFit.EpochsRun);

                using (var propagation = pipeline.Classification.RunLabelPropagation(split))
                    scores["label-propagation"] = new NodeResult("label-propagation", propagation.Accuracy(graph, split.Validation), propagation.Accuracy(graph, split.Test), 0);

                foreach (var score in scores.Values) context.Logger.LogRun(run + 1, seed, score.Model, score.ValidationAccuracy, score.TestAccuracy);
                runs.Add(new RunScores(seed, split.Train.Length, split.Validation.Length, split.Test.Length, scores));
                bar.Report(run + 1, string.Create(CultureInfo.InvariantCulture, $"run {run + 1}: gmn {scores["gmn"].TestAccuracy:F3} gcn {scores["gcn"].TestAccuracy:F3}"));
            }
        }

        var summary = Models.ToDictionary(m => m, m => Summary.Of(runs.Select(r => r.Scores[m].TestAccuracy)));
        await context.Artifacts.WriteJsonAsync("metrics.json", new { graph = graph.Source, nodes = graph.NodeCount, classes = graph.Classes, runs, testAccuracy = summary }, cancellation);
        await context.Artifacts.WriteResultsAsync(Results(graph, runs, summary), cancellation);
    }

    private static ResultsPage Results(Graph graph, List<RunScores> runs, Dictionary<string, Summary> summary)
    {
        var table = new ResultsTable([ResultsColumn.Text("model"), ResultsColumn.Number("mean ± std"),
            .. runs.Select(r => ResultsColumn.Number(FormattableString.Invariant($"seed {r.Seed}"), "F4"))]);
        foreach (string model in Models)
            table.Row([model, FormattableString.Invariant($"{summary[model].Mean:F4} ± {summary[model].Std:F4}"), .. runs.Select(r => (object)r.Scores[model].TestAccuracy)]);
        return new ResultsPage()
            .Paragraph($"Test accuracy on {graph.NodeCount} nodes, {graph.Classes.Count} classes; {runs.Count} runs (seeds {runs[0].Seed}…{runs[^1].Seed}), train/val/test {runs[0].Train}/{runs[0].Validation}/{runs[0].Test} nodes.")
            .Table(table);
    }

    private sealed record RunScores(int Seed, int Train, int Validation, int Test, Dictionary<string, NodeResult> Scores);

    private sealed record Summary(double Mean, double Std)
    {
        public static Summary Of(IEnumerable<double> values)
        {
            var list = values.ToList();
            double mean = list.Average();
            return new Summary(mean, list.Count > 1 ? Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1)) : 0);
        }
    }
}

/// <summary>Predicted label and class probabilities for every node, to <c>predictions.parquet</c>.</summary>
[JobTask("predict", Description = "Node labels and class probabilities to Parquet")]
public sealed class PredictTask : GraphJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GraphJobOptions options, CancellationToken cancellation)
    {
        using var pipeline = await GraphPipeline.LoadAsync(context, options, cancellation);
        using var model = pipeline.FitOrLoad(cancellation);
        using var predictions = pipeline.Classification.PredictGmn(model, options.Training.Seed);
        var graph = pipeline.Graph;
        double[] probabilities;
        using (var asDouble = predictions.Probabilities.to_type(float64)) probabilities = asDouble.data<double>().ToArray();
        int classes = graph.Classes.Count;
        var predicted = Enumerable.Range(0, graph.NodeCount)
            .Select(n => graph.Classes[Enumerable.Range(0, classes).MaxBy(c => probabilities[n * classes + c])]).ToArray();
        var columns = new List<ParquetColumn>
        {
            new("id", graph.Ids.ToArray()),
            new("predicted", predicted),
            new("label", graph.Labels.Select(l => l >= 0 ? graph.Classes[l] : "").ToArray()),
        };
        for (int c = 0; c < classes; c++)
            columns.Add(new($"p_{graph.Classes[c]}", Enumerable.Range(0, graph.NodeCount).Select(n => probabilities[n * classes + c]).ToArray()));
        await context.Artifacts.WriteParquetAsync(context.Shard.PartName("predictions.parquet"), columns, cancellation: cancellation);
    }
}

/// <summary>GMN node embeddings (the representation before the classifier head), to <c>embeddings.parquet</c>.</summary>
[JobTask("embed", Description = "Node embeddings to Parquet")]
public sealed class EmbedTask : GraphJobTask
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, GraphJobOptions options, CancellationToken cancellation)
    {
        using var pipeline = await GraphPipeline.LoadAsync(context, options, cancellation);
        using var model = pipeline.FitOrLoad(cancellation);
        using var predictions = pipeline.Classification.PredictGmn(model, options.Training.Seed);
        using var embeddings = predictions.Embeddings.to_type(float64);
        long dim = embeddings.shape[1];
        var values = embeddings.data<double>().ToArray();
        var columns = new List<ParquetColumn> { new("id", pipeline.Graph.Ids.ToArray()) };
        for (int d = 0; d < dim; d++)
            columns.Add(new($"e{d}", Enumerable.Range(0, pipeline.Graph.NodeCount).Select(n => values[n * dim + d]).ToArray()));
        await context.Artifacts.WriteParquetAsync("embeddings.parquet", columns, cancellation: cancellation);
    }
}
