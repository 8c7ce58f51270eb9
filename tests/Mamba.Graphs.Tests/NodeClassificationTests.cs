using Mamba.Graphs.Data;
using Mamba.Graphs.Features;
using Mamba.Graphs.Models;
using Mamba.Graphs.Training;
using Mamba.Sdk.Training;
using static TorchSharp.torch;

namespace Mamba.Graphs.Tests;

/// <summary>Karate club runs at small sizes: reproducibility, relabelling, baselines against independent computations.</summary>
[Collection(GlobalRandomTests.Name)]
public sealed class NodeClassificationTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("graph-runs-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    private static GraphJobOptions Small() => new()
    {
        Model = new GmnOptions { DModel = 32, WalkLength = 3, WalksPerLength = 4, EvaluationSamples = 2 },
        Training = new GraphTrainingOptions { Epochs = 150, LearningRate = 0.005, Patience = 150 },
        Baselines = new GraphBaselineOptions { GcnHidden = 16, GcnDropout = 0 },
    };

    [Fact]
    public async Task Walk_sampling_and_training_repeat_exactly_for_a_seed_and_differ_across_seeds()
    {
        var graph = await GraphFilesTests.Karate();
        var first = NeighbourhoodTokens.Sample(graph, 3, 4, 7);
        var again = NeighbourhoodTokens.Sample(graph, 3, 4, 7);
        var other = NeighbourhoodTokens.Sample(graph, 3, 4, 8);
        Assert.Equal(first.Members, again.Members);
        Assert.Equal(first.EdgeSource, again.EdgeSource);
        Assert.NotEqual(first.Members, other.Members);

        // Every random path on: walks, sign flips, degree orderings with random tie-breaking, dropout.
        var options = Small();
        options.Features.SignFlip = true;
        options.Model.GlobalLayer = true;
        options.Training.Epochs = 30;
        var (a, _) = Fit(graph, options, seed: 3);
        var (b, _) = Fit(graph, options, seed: 3);
        var (c, _) = Fit(graph, options, seed: 4);
        using (a)
        using (b)
        using (c)
        {
            Assert.Equal(0, (a.Probabilities - b.Probabilities).abs().max().item<float>());
            Assert.NotEqual(0, (a.Probabilities - c.Probabilities).abs().max().item<float>());
        }
    }

    [Fact]
    public async Task Relabelling_node_ids_keeps_the_baselines_and_GMN_within_noise()
    {
        var karate = await GraphFilesTests.Karate();
        var randomSplit = NodeSplit.For(karate, new SplitOptions(), 0);
        var original = await WriteAndRead(karate, randomSplit, "original", rename: false);
        var relabelled = await WriteAndRead(karate, randomSplit, "relabelled", rename: true);
        var split = NodeSplit.For(original, new SplitOptions(), 0);
        var relabelledSplit = NodeSplit.For(relabelled, new SplitOptions(), 0);
        Assert.Equal(split.Test.Select(i => original.Ids[i]).Order(), relabelledSplit.Test.Select(i => Rename(relabelled.Ids[i], back: true)).Order());

        var (gmn, gcn, propagation) = Accuracies(original, split);
        var (gmnRelabelled, gcnRelabelled, propagationRelabelled) = Accuracies(relabelled, relabelledSplit);

        Assert.True(gcn >= 0.7 && propagation >= 0.7, $"baselines did not learn karate: GCN {gcn}, label propagation {propagation}");
        Assert.Equal(propagation, propagationRelabelled);
        Assert.Equal(gcn, gcnRelabelled);
        Assert.True(gmn >= 0.65 && gmnRelabelled >= 0.65, $"GMN test accuracy {gmn} on the original ids, {gmnRelabelled} relabelled");
        Assert.True(Math.Abs(gmn - gmnRelabelled) <= 0.25, $"GMN test accuracy {gmn} on the original ids, {gmnRelabelled} relabelled");
    }

    [Fact]
    public async Task Label_propagation_converges_to_its_closed_form()
    {
        var graph = await GraphFilesTests.Karate();
        int[] train = [0, 33, 5, 24];
        const double Alpha = 0.8;

        using var iterated = LabelPropagation.Propagate(graph, 2, train, Alpha, iterations: 300);

        // F* = (1 − α)(I − αS)⁻¹Y with S = D^−½ W D^−½ built here from the weighted adjacency.
        int n = graph.NodeCount;
        using var w = zeros(n, n, dtype: float64);
        for (int i = 0; i < n; i++)
            for (int k = graph.Offsets[i]; k < graph.Offsets[i + 1]; k++) w[i, graph.Neighbors[k]] = graph.Weights[k];
        using var inverseRoot = w.sum(1).rsqrt();
        using var s = inverseRoot.unsqueeze(1) * w * inverseRoot.unsqueeze(0);
        using var y = zeros(n, 2, dtype: float64);
        foreach (int node in train) y[node, graph.Labels[node]] = 1;
        using var closed = (1 - Alpha) * linalg.solve(eye(n, dtype: float64) - Alpha * s, y);
        Assert.True(closed.allclose(iterated, rtol: 1e-6, atol: 1e-9), "label propagation does not reach (1 − α)(I − αS)⁻¹Y");
    }

    [Fact]
    public void Random_walk_returns_match_the_triangle_by_hand()
    {
        // On a triangle P = (J − I)/2, so the diagonal of Pᵏ is 0, 1/2, 1/4, 3/8 for k = 1…4.
        var graph = Graph.FromEdges("triangle", ["a", "b", "c"], [0, 1, 0], ["x", "y"], null, [(0, 1, 1f), (1, 2, 1f), (2, 0, 1f)], directed: false);

        using var returns = StructuralFeatures.RandomWalkReturns(graph, 4);

        Assert.Equal([0, 0.5, 0.25, 0.375], returns[0].data<double>().ToArray().Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void Node_attributes_are_standardised_beside_the_structural_features_and_before_the_eigenvectors()
    {
        var attributes = new NodeAttributes(["age"], [10, 20, 30, 40]);
        var graph = Graph.FromEdges("path", ["a", "b", "c", "d"], [0, 1, 0, 1], ["x", "y"], null,
            [(0, 1, 1f), (1, 2, 1f), (2, 3, 1f)], directed: false, attributes);
        var structural = new FeatureOptions { RandomWalkSteps = 2, LaplacianVectors = 2 };

        var (both, laplacian) = StructuralFeatures.Compute(graph, structural);
        var (only, none) = StructuralFeatures.Compute(graph, new FeatureOptions { Structural = false });

        using (both)
        using (only)
        {
            // 1 degree + 2 walk returns + the attribute + 2 eigenvectors; (x − mean) / sample std of 10, 20, 30, 40.
            double[] expected = [.. new[] { -1.5, -0.5, 0.5, 1.5 }.Select(v => v / Math.Sqrt(5.0 / 3))];
            Assert.Equal([4, 6], both.shape);
            Assert.Equal(2, laplacian);
            Assert.Equal(expected, both[.., 3].data<float>().ToArray().Select(v => (double)v), new Tolerance(1e-6));
            Assert.Equal([4, 1], only.shape);
            Assert.Equal(0, none);
            Assert.Equal(expected, only[.., 0].data<float>().ToArray().Select(v => (double)v), new Tolerance(1e-6));
        }
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon;
        public int GetHashCode(double obj) => 0;
    }

    private static (NodePredictions Predictions, NodeSplit Split) Fit(Graph graph, GraphJobOptions options, int seed)
    {
        var (features, laplacian) = StructuralFeatures.Compute(graph, options.Features);
        using (features)
        {
            using var classification = new NodeClassification(graph, features, laplacian, options);
            var split = NodeSplit.For(graph, options.Split, seed);
            var (model, _) = classification.TrainGmn(TrainingRun.Detached(), "gmn", split, seed, CancellationToken.None);
            using (model) return (classification.PredictGmn(model, seed), split);
        }
    }

    private static (double Gmn, double Gcn, double Propagation) Accuracies(Graph graph, NodeSplit split)
    {
        var options = Small();
        var (features, laplacian) = StructuralFeatures.Compute(graph, options.Features);
        using (features)
        {
            using var classification = new NodeClassification(graph, features, laplacian, options);
            var (model, _) = classification.TrainGmn(TrainingRun.Detached(), "gmn", split, 5, CancellationToken.None);
            using var gmn = classification.PredictGmn(model, 5);
            model.Dispose();
            var (gcn, _) = classification.RunGcn(TrainingRun.Detached(), "gcn", split, 5, CancellationToken.None);
            using (gcn)
            using (var propagation = classification.RunLabelPropagation(split))
                return (gmn.Accuracy(graph, split.Test), gcn.Accuracy(graph, split.Test), propagation.Accuracy(graph, split.Test));
        }
    }

    /// <summary>
    /// Writes <paramref name="graph"/> with <paramref name="split"/> as a split column and reads it back; with
    /// <paramref name="rename"/>, every id is renamed and the node rows are shuffled.
    /// </summary>
    private async Task<Graph> WriteAndRead(Graph graph, NodeSplit split, string name, bool rename)
    {
        var order = Enumerable.Range(0, graph.NodeCount).ToArray();
        if (rename) new Random(11).Shuffle(order);
        string Id(int node) => rename ? Rename(graph.Ids[node], back: false) : graph.Ids[node];
        string SplitOf(int node) => split.Train.Contains(node) ? "train" : split.Validation.Contains(node) ? "val" : "test";
        var nodes = new List<string> { "id,club,split" };
        nodes.AddRange(order.Select(i => $"{Id(i)},{graph.Classes[graph.Labels[i]]},{SplitOf(i)}"));
        var edges = new List<string> { "source,target,weight" };
        for (int i = 0; i < graph.NodeCount; i++)
            for (int k = graph.Offsets[i]; k < graph.Offsets[i + 1]; k++)
                if (i < graph.Neighbors[k]) edges.Add(FormattableString.Invariant($"{Id(i)},{Id(graph.Neighbors[k])},{graph.Weights[k]}"));
        string nodesFile = Path.Combine(folder, $"{name}.nodes.csv"), edgesFile = Path.Combine(folder, $"{name}.edges.csv");
        await File.WriteAllLinesAsync(nodesFile, nodes);
        await File.WriteAllLinesAsync(edgesFile, edges);
        return await GraphFiles.ReadAsync(edgesFile, nodesFile, new GraphDataOptions { LabelColumn = "club", SplitColumn = "split" }, CancellationToken.None);
    }

    private static string Rename(string id, bool back) => back ? id["member-".Length..] : $"member-{id}";
}

[CollectionDefinition(Name, DisableParallelization = true)]
public static class GlobalRandomTests
{
    public const string Name = "global torch random state";
}
