using Mamba.Core.Training;
using Mamba.Sdk.Training;
using Mamba.Graphs.Data;
using Mamba.Graphs.Models;
using static TorchSharp.torch;

namespace Mamba.Graphs.Training;

/// <summary>What one model produced on one split.</summary>
public sealed record NodeResult(string Model, double ValidationAccuracy, double TestAccuracy, int Epochs);

/// <summary>A fitted model's outputs for every node.</summary>
public sealed class NodePredictions(Tensor probabilities, Tensor embeddings) : IDisposable
{
    /// <summary>(N, C) class probabilities.</summary>
    public Tensor Probabilities { get; } = probabilities;

    /// <summary>(N, D) node embeddings.</summary>
    public Tensor Embeddings { get; } = embeddings;

    /// <summary>Share of <paramref name="nodes"/> whose most probable class is their label.</summary>
    public double Accuracy(Graph graph, int[] nodes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length == 0) return double.NaN;
        using var predicted = Probabilities.argmax(1);
        var labels = predicted.data<long>().ToArray();
        return nodes.Count(n => labels[n] == graph.Labels[n]) / (double)nodes.Length;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Probabilities.Dispose();
        Embeddings.Dispose();
    }
}

/// <summary>
/// Trains and evaluates the node classifiers of one graph: GMN, the 2-layer GCN and label propagation, on the same
/// features and splits. Every random choice (walks, orderings, sign flips, dropout, initialisation) follows the seed.
/// </summary>
public sealed class NodeClassification(Graph graph, Tensor features, int laplacianColumns, GraphJobOptions options) : IDisposable
{
    private readonly EdgeTensors adjacency = GraphEdges.Normalised(graph, selfLoops: true);

    private int Classes => graph.Classes.Count;

    /// <summary>Creates GMN for this graph (before training or loading weights).</summary>
    public GraphMambaNetwork CreateGmn(int seed)
    {
        random.manual_seed(seed);
        return new GraphMambaNetwork(features.shape[1], Classes, options.Model);
    }

    /// <summary>
    /// Trains GMN on <paramref name="split"/> as fit <paramref name="name"/> of <paramref name="training"/>; the
    /// returned model holds the best validation epoch's weights.
    /// </summary>
    public (GraphMambaNetwork Model, TrainingResult Result) TrainGmn(TrainingRun training, string name, NodeSplit split, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        var model = CreateGmn(seed);
        using var train = tensor(split.Train.Select(i => (long)i).ToArray());
        using var trainLabels = tensor(split.Train.Select(i => (long)graph.Labels[i]).ToArray());
        using var validation = tensor(split.Validation.Select(i => (long)i).ToArray());
        using var validationLabels = tensor(split.Validation.Select(i => (long)graph.Labels[i]).ToArray());
        var evaluationSamples = EvaluationSamples(seed, 1);
        try
        {
            // One full-batch step per epoch: the epoch is the batch.
            var result = training.Fit<int>(name, model, options.Training, epoch => [epoch], epoch =>
            {
                // Not disposed here: backward reads the index tensors after this returns; the trainer's step scope owns them.
                var rng = new Random(DerivedSeed.Of(seed, epoch));
                var sample = new TokenTensors(NeighbourhoodTokens.Sample(graph, options.Model.WalkLength, options.Model.WalksPerLength, rng.Next()));
                var order = DegreeOrder(rng);
                var flipped = FlipLaplacianSigns(rng);
                var (_, logits) = model.Forward(flipped, sample, adjacency, order);
                return nn.functional.cross_entropy(logits.index_select(0, train), trainLabels);
            }, () =>
            {
                using var scope = NewDisposeScope();
                var probabilities = AverageProbabilities(model, evaluationSamples).Probabilities;
                return nn.functional.nll_loss(probabilities.index_select(0, validation).clamp_min(Scalars.Tiny).log(), validationLabels).item<float>();
            }, seed: seed, cancellation: cancellation);
            return (model, result);
        }
        finally
        {
            foreach (var (sample, order) in evaluationSamples) { sample.Dispose(); order.Dispose(); }
        }
    }

    /// <summary>GMN's probabilities and embeddings, averaged over the evaluation samples of <paramref name="seed"/>.</summary>
    public NodePredictions PredictGmn(GraphMambaNetwork model, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var samples = EvaluationSamples(seed, options.Model.EvaluationSamples);
        try
        {
            model.eval();
            using var noGrad = no_grad();
            return AverageProbabilities(model, samples);
        }
        finally
        {
            foreach (var (sample, order) in samples) { sample.Dispose(); order.Dispose(); }
        }
    }

    /// <summary>Trains the GCN baseline as fit <paramref name="name"/> of <paramref name="training"/> and returns its predictions for every node.</summary>
    public (NodePredictions Predictions, TrainingResult Result) RunGcn(TrainingRun training, string name, NodeSplit split, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        random.manual_seed(seed);
        using var model = new Gcn(features.shape[1], options.Baselines.GcnHidden, Classes, options.Baselines.GcnDropout);
        using var train = tensor(split.Train.Select(i => (long)i).ToArray());
        using var trainLabels = tensor(split.Train.Select(i => (long)graph.Labels[i]).ToArray());
        using var validation = tensor(split.Validation.Select(i => (long)i).ToArray());
        using var validationLabels = tensor(split.Validation.Select(i => (long)graph.Labels[i]).ToArray());
        var result = training.Fit<int>(name, model, options.Training, epoch => [epoch],
            _ => nn.functional.cross_entropy(model.Forward(features, adjacency).Logits.index_select(0, train), trainLabels),
            () =>
            {
                using var scope = NewDisposeScope();
                return nn.functional.cross_entropy(model.Forward(features, adjacency).Logits.index_select(0, validation), validationLabels).item<float>();
            },
            seed: seed, cancellation: cancellation);
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (embedding, logits) = model.Forward(features, adjacency);
        return (new NodePredictions(logits.softmax(1).MoveToOuterDisposeScope(), embedding.MoveToOuterDisposeScope()), result);
    }

    /// <summary>Label propagation's class scores, normalised to probabilities.</summary>
    public NodePredictions RunLabelPropagation(NodeSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        using var scope = NewDisposeScope();
        var scores = LabelPropagation.Propagate(graph, Classes, split.Train, options.Baselines.PropagationAlpha, options.Baselines.PropagationIterations);
        var probabilities = (scores / scores.sum(1, keepdim: true).clamp_min(Scalars.Tiny)).to_type(float32);
        return new NodePredictions(probabilities.MoveToOuterDisposeScope(), zeros(graph.NodeCount, 0).MoveToOuterDisposeScope());
    }

    /// <inheritdoc/>
    public void Dispose() => adjacency.Dispose();

    /// <summary>The first <paramref name="count"/> evaluation samples of <paramref name="seed"/> (fixed, unlike training's).</summary>
    private List<(TokenTensors Sample, Tensor Order)> EvaluationSamples(int seed, int count)
    {
        var rng = new Random(seed ^ 0x5EED);
        return [.. Enumerable.Range(0, count).Select(_ =>
            (new TokenTensors(NeighbourhoodTokens.Sample(graph, options.Model.WalkLength, options.Model.WalksPerLength, rng.Next())), DegreeOrder(rng)))];
    }

    private NodePredictions AverageProbabilities(GraphMambaNetwork model, List<(TokenTensors Sample, Tensor Order)> samples)
    {
        using var scope = NewDisposeScope();
        Tensor? probabilities = null, embeddings = null;
        foreach (var (sample, order) in samples)
        {
            var (embedding, logits) = model.Forward(features, sample, adjacency, order);
            probabilities = probabilities is null ? logits.softmax(1) : probabilities + logits.softmax(1);
            embeddings = embeddings is null ? embedding : embeddings + embedding;
        }
        return new NodePredictions((probabilities! / samples.Count).MoveToOuterDisposeScope(), (embeddings! / samples.Count).MoveToOuterDisposeScope());
    }

    /// <summary>Nodes by ascending degree, ties broken at random (Graph-Mamba's ordering).</summary>
    private Tensor DegreeOrder(Random rng)
    {
        var keys = Enumerable.Range(0, graph.NodeCount).Select(i => graph.Degree(i) + rng.NextDouble()).ToArray();
        var order = Enumerable.Range(0, graph.NodeCount).Select(i => (long)i).OrderBy(i => keys[i]).ToArray();
        return tensor(order);
    }

    /// <summary>The features with each Laplacian eigenvector's sign flipped at random (eigenvectors have no sign).</summary>
    private Tensor FlipLaplacianSigns(Random rng)
    {
        if (laplacianColumns == 0 || !options.Features.SignFlip) return features.alias();
        var signs = Enumerable.Range(0, (int)features.shape[1]).Select(c => c >= features.shape[1] - laplacianColumns && rng.Next(2) == 0 ? -1f : 1f).ToArray();
        return features * tensor(signs);
    }
}
