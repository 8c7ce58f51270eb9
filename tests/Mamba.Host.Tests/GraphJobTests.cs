using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

/// <summary>The bundled graphs plugin's karate jobs through the real host, at tiny sizes (the quality runs are docs/results/graphs.md).</summary>
public sealed class GraphJobTests : IDisposable
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Graphs", "jobs");
    private static readonly string[] Tiny = ["--set", "model.dModel=8", "--set", "training.epochs=5", "--set", "model.evaluationSamples=1"];
    private readonly string root = Directory.CreateTempSubdirectory("mamba-graphs-").FullName;

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), [.. Tiny, .. extra]);

    [Fact]
    public async Task A_trained_model_predicts_and_embeds_every_member()
    {
        string trained = Run("karate-train.json");
        Assert.True(File.Exists(Path.Combine(trained, "models", "gmn", "model.safetensors")));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(trained, "metrics.json")))!;
        Assert.InRange((double)metrics["testAccuracy"]!, 0, 1);

        string predicted = Run("karate-predict.json", "--set", $"model.weights={trained}");
        var table = await ParquetTable.ReadAsync(Path.Combine(predicted, "predictions.parquet"));
        Assert.Equal(["id", "predicted", "label", "p_Mr. Hi", "p_Officer"], table.Select(c => c.Name));
        Assert.Equal(34, table[0].Values.Length);
        var sums = Enumerable.Range(0, 34).Select(i => (double)table[3].Values.GetValue(i)! + (double)table[4].Values.GetValue(i)!);
        Assert.All(sums, s => Assert.Equal(1, s, 1e-5));

        string embedded = Run("karate-embed.json", "--set", $"model.weights={trained}");
        var embeddings = await ParquetTable.ReadAsync(Path.Combine(embedded, "embeddings.parquet"));
        Assert.Equal(1 + 8, embeddings.Count);
        Assert.Equal(34, embeddings[0].Values.Length);
    }

    [Fact]
    public void A_users_graph_with_a_headerless_edge_list_learns_from_its_feature_columns()
    {
        // 60 nodes on a ring with chords drawn without regard to the label, so the structure says nothing of it; the
        // 'signal' column is the label plus noise, 'note' is text (left out by "*").
        var random = new Random(3);
        int[] labels = [.. Enumerable.Range(0, 60).Select(_ => random.Next(2))];
        string nodes = Path.Combine(root, "members.csv"), edges = Path.Combine(root, "friendships.txt");
        File.WriteAllLines(nodes, ["member,group,signal,note",
            .. labels.Select((l, i) => FormattableString.Invariant($"m{i},{(l == 0 ? "blue" : "red")},{l + 0.3 * (random.NextDouble() - 0.5):F3},n{i % 5}"))]);
        File.WriteAllLines(edges, ["# u v (synthetic test graph)",
            .. Enumerable.Range(0, 60).Select(i => $"m{i}\tm{(i + 1) % 60}"), .. Enumerable.Range(0, 30).Select(_ => $"m{random.Next(60)} m{random.Next(60)}")]);
        string[] data = ["--set", $"data.edges={edges}", "--set", $"data.nodes={nodes}", "--set", "data.header=false",
            "--set", "data.idColumn=member", "--set", "data.labelColumn=group", "--set", "training.epochs=30", "--set", "model.dModel=8"];

        string withFeatures = PluginWorkspace.RunJob(root, Path.Combine(Jobs, "karate-train.json"),
            [.. data, "--set", "data.featureColumns=[\"*\"]", "--set", "features.structural=false"]);

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(withFeatures, "metrics.json")))!;
        Assert.True((double)metrics["testAccuracy"]! >= 0.9, $"test accuracy {metrics["testAccuracy"]} from a feature that holds the label");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(withFeatures, "models", "gmn", "config.json")))!;
        Assert.Equal(1, (int)config["featureDim"]!);
    }

    [Fact]
    public void An_edge_to_an_unknown_member_fails_the_run_naming_file_row_and_column()
    {
        string edges = Path.Combine(root, "edges.csv");
        File.WriteAllLines(edges, ["source,target", "0,1", "1,99"]);

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "karate-train.json"), "--out", Path.Combine(root, "runs"), "--set", $"data.edges={edges}"]);

        Assert.Equal(1, code);
        Assert.Contains($"{edges}, row 3, column 'target': unknown node id '99'", errors, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(root, true);
}
