using System.Text.Json.Nodes;

namespace Mamba.Host.Tests;

/// <summary>The bundled tracking plugin's jobs through the real host at tiny sizes (the quality runs are docs/results/tracking.md).</summary>
public sealed class TrackingJobTests : IDisposable
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Tracking", "jobs");
    private static readonly string[] Tiny =
    [
        "--set", "synthetic.trainSequences=1", "--set", "synthetic.validationSequences=1", "--set", "synthetic.testSequences=2",
        "--set", "synthetic.scene.objects=5", "--set", "synthetic.scene.frames=40",
        "--set", "predictor.dModel=8", "--set", "predictor.layers=1", "--set", "training.epochs=1",
    ];
    private readonly string root = Directory.CreateTempSubdirectory("mamba-tracking-").FullName;

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), [.. Tiny, .. extra]);

    [Fact]
    public void Simulated_sequences_are_marked_synthetic_and_evaluate_as_a_folder()
    {
        string simulated = Run("synthetic-simulate.json");
        var sequences = Directory.GetDirectories(simulated).Where(d => File.Exists(Path.Combine(d, "seqinfo.ini"))).ToList();
        Assert.Equal(2, sequences.Count);
        Assert.All(sequences, s => Assert.Contains("Not real data", File.ReadAllText(Path.Combine(s, "SYNTHETIC.md")), StringComparison.Ordinal));

        string evaluated = Run("synthetic-evaluate.json", "--set", $"sequences={simulated}");
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(evaluated, "metrics.json")))!["rows"]!.AsArray();
        Assert.Equal(["kalman", "kalman", "mamba", "mamba"], rows.Select(r => (string)r!["motion"]!));
        Assert.All(rows, r => Assert.InRange((double)r!["hota"]!, 0.05, 1));

        string kalman = Run("synthetic-evaluate.json", "--set", $"sequences={simulated}", "--set", "motion=kalman");
        var kalmanRows = JsonNode.Parse(File.ReadAllText(Path.Combine(kalman, "metrics.json")))!["rows"]!.AsArray();
        Assert.Equal(["kalman", "kalman"], kalmanRows.Select(r => (string)r!["motion"]!));
        Assert.Equal((double)rows[0]!["hota"]!, (double)kalmanRows[0]!["hota"]!);
        Assert.False(File.Exists(Path.Combine(kalman, "training.json")), "evaluate with Kalman motion trained a predictor");
    }

    [Fact]
    public void A_predictor_trained_on_a_users_ground_truth_is_reused_by_reference_to_its_run()
    {
        string simulated = Run("synthetic-simulate.json", "--set", "synthetic.scene.objects=10");
        string trained = Run("synthetic-train.json", "--set", $"trainSequences={simulated}");
        Assert.True(File.Exists(Path.Combine(trained, "models", "predictor", "model.safetensors")));
        var training = JsonNode.Parse(File.ReadAllText(Path.Combine(trained, "metrics.json")))!["training"]!;
        Assert.Equal(simulated, (string)training["source"]!);
        // 2 sequences × 10 objects × 39 frame steps; ids 4 and 9 of each (every fifth) validate.
        Assert.Equal(2 * 8 * 39, (int)training["trainWindows"]!);
        Assert.Equal(2 * 2 * 39, (int)training["validationWindows"]!);

        var (refused, _, why) = MambaProcess.Run(root, ["validate", Path.Combine(Jobs, "synthetic-evaluate.json"), "--out", Path.Combine(root, "runs"),
            .. Tiny, "--set", $"sequences={simulated}", "--set", $"trainSequences={simulated}"]);
        Assert.Equal(2, refused);
        Assert.Contains("options.trainSequences: is the folder of options.sequences", why, StringComparison.Ordinal);

        string tracked = Run("synthetic-track.json", "--set", "weights=run:synthetic-train/latest");
        var results = Directory.GetFiles(Path.Combine(tracked, "results"), "*.txt");
        Assert.Equal(2, results.Length);
        Assert.All(results, f => Assert.Matches(@"^\d+,\d+,", File.ReadLines(f).First()));
        Assert.Contains(trained, File.ReadAllText(Path.Combine(tracked, "job.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_detection_file_fails_the_run_naming_file_and_row()
    {
        string simulated = Run("synthetic-simulate.json");
        string det = Path.Combine(Directory.GetDirectories(simulated).Where(d => File.Exists(Path.Combine(d, "seqinfo.ini"))).Order(StringComparer.Ordinal).First(), "det", "det.txt");
        string copy = Path.Combine(root, "broken");
        CopyFolder(simulated, copy);
        string broken = det.Replace(simulated, copy, StringComparison.Ordinal);
        File.AppendAllText(broken, "7,-1,1,1\n");

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "synthetic-track.json"), "--out", Path.Combine(root, "runs"), "--set", $"sequences={copy}", "--set", "motion=kalman"]);

        Assert.Equal(1, code);
        Assert.Contains($"{broken}, row {File.ReadAllLines(broken).Length}", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Forecast_reports_both_models_at_one_five_and_ten_steps()
    {
        string run = Run("gps-forecast.json", "--set", "training.epochs=1");

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!["meanDisplacementError"]!;
        Assert.Equal(10, metrics["mamba"]!.AsArray().Count);
        Assert.Equal(10, metrics["kalman"]!.AsArray().Count);
        Assert.Contains("| 10 |", File.ReadAllText(Path.Combine(run, "results.md")), StringComparison.Ordinal);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => Directory.Delete(root, true);
}
