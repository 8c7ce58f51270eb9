using Mamba.Graphs.Data;
using Mamba.Graphs.Features;
using Mamba.Graphs.Models;
using Mamba.Graphs.Training;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Graphs.Tasks;

/// <summary>The saved description of a trained GMN, checked when a later job loads it.</summary>
public sealed record SavedGmn(string[] Classes, long FeatureDim, int Seed, GmnOptions Model, FeatureOptions Features);

/// <summary>What the graph tasks share: read the graph, compute its features, fit or load GMN.</summary>
internal sealed class GraphPipeline : IDisposable
{
    private const string ModelName = "gmn";
    private readonly JobContext context;
    private readonly GraphJobOptions options;

    private GraphPipeline(JobContext context, GraphJobOptions options, Graph graph, Tensor features, int laplacianColumns)
    {
        this.context = context;
        this.options = options;
        Graph = graph;
        Features = features;
        Classification = new NodeClassification(graph, features, laplacianColumns, options);
    }

    public Graph Graph { get; }

    public Tensor Features { get; }

    public NodeClassification Classification { get; }

    public static async Task<GraphPipeline> LoadAsync(JobContext context, GraphJobOptions options, CancellationToken cancellation)
    {
        var graph = await GraphFiles.ReadAsync(context.ResolvePath(options.Data.Edges), context.ResolvePath(options.Data.Nodes), options.Data, cancellation);
        var (features, laplacianColumns) = StructuralFeatures.Compute(graph, options.Features);
        context.Logger.LogGraph(graph.Source, graph.NodeCount, graph.EntryCount, graph.Classes.Count, features.shape[1]);
        return new GraphPipeline(context, options, graph, features, laplacianColumns);
    }

    /// <summary>GMN trained on the first run's split, or loaded from <c>model.weights</c>.</summary>
    public GraphMambaNetwork FitOrLoad(CancellationToken cancellation)
    {
        int seed = options.Training.Seed;
        if (options.Model.Weights is { } weights)
        {
            return context.Models.Load<SavedGmn, GraphMambaNetwork>(weights, ModelName, saved =>
            {
                if (!saved.Classes.SequenceEqual(Graph.Classes) || saved.FeatureDim != Features.shape[1])
                    throw new JobOptionsException("options.model.weights",
                        $"{weights}: GMN was trained for classes [{string.Join(", ", saved.Classes)}] on {saved.FeatureDim} features; this graph has [{string.Join(", ", Graph.Classes)}] and {Features.shape[1]}");
                return new GraphMambaNetwork(saved.FeatureDim, saved.Classes.Length, saved.Model);
            }).Model;
        }
        var split = NodeSplit.For(Graph, options.Split, seed);
        var (model, _) = Classification.TrainGmn(context.Training, ModelName, split, seed, cancellation);
        using var predictions = Classification.PredictGmn(model, seed);
        double validation = predictions.Accuracy(Graph, split.Validation), test = predictions.Accuracy(Graph, split.Test);
        context.Logger.LogRun(1, seed, "gmn", validation, test);
        return model;
    }

    /// <summary>Saves the model as the run's GMN, with its config.</summary>
    public void Save(GraphMambaNetwork model) =>
        context.Models.Save(ModelName, model, new SavedGmn([.. Graph.Classes], Features.shape[1], options.Training.Seed, options.Model, options.Features));

    public void Dispose()
    {
        Classification.Dispose();
        Features.Dispose();
    }
}
