using System.ComponentModel.DataAnnotations;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Mamba.Sdk.Training;
using static TorchSharp.torch;

namespace Mamba.TestPlugins.Alpha;

public sealed class SineOptions
{
    [Range(16, 100_000)] public int Points { get; set; } = 1000;
    public TrainingSection Training { get; set; } = new() { Epochs = 20, BatchSize = 50, LearningRate = 0.01, Patience = 5 };
}

/// <summary>Fits sin(x) on [-3, 3] with a small MLP (synthetic points); every tenth point validates.</summary>
[JobTask("sine", Description = "Fit sin(x) with an MLP: a complete training task on the SDK's training service")]
public sealed class SineTask : JobTask<SineOptions>
{
    protected override async Task RunAsync(JobContext context, SineOptions options, CancellationToken cancellation)
    {
        var t = options.Training;
        random.manual_seed(t.Seed);
        using var model = nn.Sequential(("hidden", nn.Linear(1, 32)), ("tanh", nn.Tanh()), ("out", nn.Linear(32, 1)));
        using var x = linspace(-3, 3, options.Points).unsqueeze(1);                     // (P, 1)
        using var y = sin(x);
        using var all = arange(options.Points);
        using var validation = all.masked_select(all % 10 == 0);
        using var train = all.masked_select(all % 10 != 0);

        var result = context.Training.Fit("mlp", model, t,
            epoch => randperm(train.shape[0], generator: new Generator((ulong)t.SeedFor(epoch))).split(t.BatchSize),
            batch => nn.functional.mse_loss(model.call(x.index_select(0, train[batch])), y.index_select(0, train[batch])),
            () => nn.functional.mse_loss(model.call(x.index_select(0, validation)), y.index_select(0, validation)).item<float>(),
            "validation MSE", cancellation: cancellation);

        context.Models.Save("mlp", model, new { hidden = 32 });
        await context.Artifacts.WriteJsonAsync("metrics.json", new { result.BestEpoch, result.BestValidationMetric, result.History }, cancellation);
    }
}
