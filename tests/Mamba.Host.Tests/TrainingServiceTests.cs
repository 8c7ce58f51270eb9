namespace Mamba.Host.Tests;

/// <summary>
/// The SDK's training service as a third-party plugin uses it: the documented example task (Alpha's <c>sine</c>, shown
/// in docs/writing-a-plugin.md) trains, keeps its best epoch, saves its model, and records every setting it ran with.
/// </summary>
public sealed class TrainingServiceTests(PluginWorkspace workspace) : IClassFixture<PluginWorkspace>
{
    [Fact]
    public void The_documented_training_task_learns_saves_its_model_and_records_every_setting()
    {
        string job = workspace.WriteJob("sine", "alpha", "sine", new { points = 400 });
        var (code, output, errors) = workspace.Mamba("run", job, "--out", Path.Combine(workspace.Root, "runs"));
        Assert.True(code == 0, errors);
        string folder = PluginWorkspace.RunFolder(output);

        var metrics = PluginWorkspace.ReadJson(Path.Combine(folder, "metrics.json"));
        var history = metrics["history"]!.AsArray().Select(e => (double)e!["validation"]!).ToList();
        Assert.True((double)metrics["bestValidationMetric"]! < 0.25 * history[0], $"validation MSE by epoch: {string.Join(", ", history)}");
        Assert.Equal(history.Min(), (double)metrics["bestValidationMetric"]!);
        Assert.True(File.Exists(Path.Combine(folder, "models", "mlp", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, "models", "mlp", "config.json")));

        // The defaults the job never stated are in its resolved job.json and in training.json's record of the fit.
        var training = PluginWorkspace.ReadJson(Path.Combine(folder, "job.json"))["options"]!["training"]!;
        Assert.Equal(0.01, (double)training["weightDecay"]!);
        Assert.Equal(0.95, (double)training["beta2"]!);
        Assert.Equal(0.1, (double)training["minLearningRateRatio"]!);
        var fit = PluginWorkspace.ReadJson(Path.Combine(folder, "training.json")).AsArray().Single()!;
        Assert.Equal("mlp", (string)fit["name"]!);
        Assert.Equal(0.01 * 0.1, (double)fit["settings"]!["minLearningRate"]!, 12);
        Assert.Equal(5, (int)fit["settings"]!["earlyStoppingPatience"]!);

        // training.csv: the same history, a row per epoch, for tools that read CSV.
        var rows = File.ReadAllLines(Path.Combine(folder, "training.csv"));
        Assert.Equal("fit,epoch,step,loss,metric,validation", rows[0]);
        var logged = rows.Skip(1).Select(r => r.Split(',')).ToList();
        Assert.Equal(fit["history"]!.AsArray().Count, logged.Count);
        Assert.All(logged, r => Assert.Equal("mlp", r[0]));
        Assert.Equal(history, logged.Select(r => double.Parse(r[5], System.Globalization.CultureInfo.InvariantCulture)));
    }
}
