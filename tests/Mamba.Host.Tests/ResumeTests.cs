using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Mamba.Host.Tests;

/// <summary>
/// Every bundled plugin trains through the SDK's training service: a run stopped with SIGINT mid-training and resumed
/// ends with the weights and metrics of a run never stopped; the best epoch is what is saved; a run's job.json runs again.
/// Tiny sizes, every epoch checkpointed, so the interrupt lands after the first epoch's checkpoint.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("mamba-resume-").FullName;

    public static TheoryData<string, string, string, string[]> Jobs => new()
    {
        { "Mamba.Forecasting", "weather-train.json", "s-mamba-h24",
            ["data.horizons=[24]", "model.dModel=16", "model.dFf=16", "model.layers=1", "training.epochs=5", "training.patience=5"] },
        { "Mamba.Ecg", "synthetic-train.json", "cnn-mamba",
            ["synthetic.train=64", "synthetic.validation=16", "synthetic.test=1", "model.dModel=16", "model.layers=1", "training.epochs=5", "training.batchSize=16"] },
        { "Mamba.Genomics", "mito-pretrain.json", "pretrain",
            ["model.dModel=16", "model.attentionHeads=2", "model.layers=M2,A", "training.window=128", "training.batchSize=4", "training.stepsPerEpoch=10", "training.epochs=5"] },
        { "Mamba.Graphs", "karate-train.json", "gmn", ["model.dModel=8", "model.evaluationSamples=1", "training.epochs=60"] },
        { "Mamba.Retrieval", "sotu-train.json", "encoder",
            ["model.dModel=16", "model.layers=M1", "model.maxTokens=64", "training.epochs=3", "training.batchSize=64", "training.pretrainSteps=2", "training.hardNegatives=false"] },
        { "Mamba.Tracking", "synthetic-train.json", "predictor",
            ["synthetic.trainSequences=1", "synthetic.validationSequences=1", "synthetic.scene.objects=5", "synthetic.scene.frames=50",
             "predictor.dModel=8", "predictor.layers=1", "training.epochs=6", "training.batchSize=16", "training.patience=6"] },
    };

    [Theory]
    [MemberData(nameof(Jobs))]
    public void Training_interrupted_by_sigint_resumes_to_the_weights_and_metrics_of_an_uninterrupted_run(string plugin, string job, string fit, string[] sets)
    {
        string jobFile = Path.Combine(MambaProcess.RepositoryRoot, "plugins", plugin, "jobs", job);
        string[] options = [.. sets.Concat(["training.checkpointSeconds=0"]).SelectMany(s => new[] { "--set", s })];
        string whole = PluginWorkspace.RunJob(root, jobFile, [.. options, "--run-id", "whole"]);

        string stopped = Path.Combine(root, "stopped");
        using (var run = new MambaProcess(root, null, ["run", jobFile, "--out", stopped, "--run-id", "r", .. options]))
        {
            string checkpoints = Path.Combine(stopped, JobName(jobFile), "r", "checkpoint", fit);
            WaitFor(() => Directory.Exists(Path.Combine(checkpoints, "set-00000001")), run, $"the first checkpoint of fit '{fit}'");
            run.Signal("INT");
            Assert.Equal(130, run.WaitForExit(TimeSpan.FromMinutes(2)));
            int epochs = (int)PluginWorkspace.ReadJson(Path.Combine(stopped, JobName(jobFile), "r", "job.json"))["options"]!["training"]!["epochs"]!;
            var state = PluginWorkspace.ReadJson(Path.Combine(Directory.GetDirectories(checkpoints, "set-*").Max()!, "trainer.json"));
            Assert.True((int)state["epoch"]! < epochs && !(bool)state["stoppedEarly"]!,
                $"the interrupt came after training had finished ({state.ToJsonString()}); the test needs a longer fit");
        }
        var (code, output, errors) = MambaProcess.Run(root, ["run", jobFile, "--out", stopped, "--run-id", "r", "--resume", .. options]);
        Assert.True(code == 0, $"resume exited {code}: {errors}");
        string resumed = PluginWorkspace.RunFolder(output);

        Assert.Equal(Models(whole).Keys, Models(resumed).Keys);
        foreach (var (name, bytes) in Models(whole))
            Assert.True(bytes.SequenceEqual(Models(resumed)[name]), $"{name} differs between the uninterrupted and the resumed run");
        Assert.Equal(Metrics(whole), Metrics(resumed));
        Assert.Equal(Recorded(whole, "training.json"), Recorded(resumed, "training.json"));
    }

    [Fact]
    public void The_saved_model_is_the_best_validation_epoch_not_the_last()
    {
        // A learning rate too high for this tiny model: validation improves for four epochs, then gets worse.
        string job = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Forecasting", "jobs", "weather-train.json");
        string folder = PluginWorkspace.RunJob(root, job, "--set", "data.horizons=[24]", "--set", "model.dModel=16", "--set", "model.dFf=16",
            "--set", "model.layers=1", "--set", "training.epochs=5", "--set", "training.patience=5", "--set", "training.learningRate=0.05",
            "--set", "training.checkpointSeconds=0");

        var fit = PluginWorkspace.ReadJson(Path.Combine(folder, "training.json")).AsArray().Single()!;
        int best = (int)fit["bestEpoch"]!, last = (int)fit["epochs"]!;
        Assert.True(best < last, $"precondition: a later epoch than the best ({best}) must be worse; history {fit["history"]!.ToJsonString()}");
        // The run's last checkpoint holds the last epoch's weights and, beside them, the best epoch's (core-tested).
        string set = Directory.GetDirectories(Path.Combine(folder, "checkpoint", "s-mamba-h24"), "set-*").Single();
        byte[] saved = File.ReadAllBytes(Path.Combine(folder, "models", "s-mamba-h24", "model.safetensors"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(set, "best.safetensors")), saved);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(set, "model.safetensors")), saved);
    }

    [Theory]
    [InlineData("Mamba.Forecasting", "weather-train.json", new[] { "data.horizons=[24]", "model.dModel=16", "model.dFf=16", "model.layers=1", "training.epochs=2" })]
    [InlineData("Mamba.Graphs", "karate-train.json", new[] { "model.dModel=8", "model.evaluationSamples=1", "training.epochs=20" })]
    public void A_runs_job_json_run_again_from_elsewhere_reproduces_its_metrics(string plugin, string job, string[] sets)
    {
        string first = PluginWorkspace.RunJob(root, Path.Combine(MambaProcess.RepositoryRoot, "plugins", plugin, "jobs", job), [.. sets.SelectMany(s => new[] { "--set", s })]);
        string elsewhere = Directory.CreateDirectory(Path.Combine(root, "elsewhere")).FullName;
        string copy = Path.Combine(elsewhere, "job.json");
        File.Copy(Path.Combine(first, "job.json"), copy);

        string again = PluginWorkspace.RunJob(elsewhere, copy);

        Assert.Equal(Metrics(first), Metrics(again));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string JobName(string jobFile) =>
        PluginWorkspace.ReadJson(jobFile)["name"]?.GetValue<string>() ?? Path.GetFileNameWithoutExtension(jobFile);

    private static Dictionary<string, byte[]> Models(string run) =>
        Directory.GetFiles(Path.Combine(run, "models"), "model.safetensors", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(run, f), File.ReadAllBytes);

    /// <summary>metrics.json (when the task writes one) without wall-clock times, which no two runs share.</summary>
    private static string Metrics(string run) => File.Exists(Path.Combine(run, "metrics.json")) ? Recorded(run, "metrics.json") : "";

    private static string Recorded(string run, string file)
    {
        var node = PluginWorkspace.ReadJson(Path.Combine(run, file));
        DropTimes(node);
        return node.ToJsonString();
    }

    private static void DropTimes(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (string key in o.Select(p => p.Key).Where(k => k.Contains("seconds", StringComparison.OrdinalIgnoreCase)).ToList()) o.Remove(key);
                foreach (var (_, child) in o) DropTimes(child);
                break;
            case JsonArray a:
                foreach (var child in a) DropTimes(child);
                break;
        }
    }

    private static void WaitFor(Func<bool> condition, MambaProcess run, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (run.HasExited) throw new InvalidOperationException($"mamba exited ({run.WaitForExit(TimeSpan.Zero)}) before {what} appeared. stderr:\n{run.Errors}");
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"no {what} within 2 minutes. stderr:\n{run.Errors}");
            Thread.Sleep(10);
        }
    }
}
