using System.Text.Json;
using Mamba.Core.Blocks;
using Mamba.Core.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Training;

/// <summary>
/// The training loop every plugin shares: AdamW with warm-up and cosine decay, gradient clipping, validation with
/// early stopping, deterministic seeding, progress reports, and checkpoints that resume to exactly the weights an
/// uninterrupted run reaches. Weight decay applies to matrices only: biases, norm weights, and the parameters
/// mamba_ssm exempts (A_log, D, the Δ bias; see <see cref="SsmInit.ExemptFromWeightDecay"/>) are not decayed.
/// </summary>
/// <remarks>
/// Batches must be a pure function of the epoch (shuffle with a generator seeded from it): a resumed run skips the
/// batches the interrupted one already took. One optimizer step per batch.
/// </remarks>
public sealed class Trainer(TrainerOptions options)
{
    private const string StateFile = "trainer.json", WeightsFile = "model.safetensors", OptimizerFile = "optimizer.bin", RandomFile = "rng.safetensors";

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; } = Validated(options);

    /// <summary>
    /// Trains <paramref name="model"/>. <paramref name="batches"/> gives epoch e's batches (e from 1); <paramref name="loss"/>
    /// maps a batch to a scalar loss; <paramref name="validate"/> (lower is better) runs after each epoch.
    /// With <paramref name="checkpointDirectory"/>, progress is saved there and a run finding a checkpoint resumes it.
    /// On cancellation the trainer checkpoints (when it has a directory) and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public TrainingResult Fit<TBatch>(
        nn.Module model,
        Func<int, IReadOnlyList<TBatch>> batches,
        Func<TBatch, Tensor> loss,
        Func<double>? validate = null,
        IProgress<TrainingProgress>? progress = null,
        string? checkpointDirectory = null,
        CancellationToken cancellation = default)
    {
        random.manual_seed(Options.Seed);
        var optimizer = CreateOptimizer(model);
        var state = new FitState();
        if (checkpointDirectory is not null && File.Exists(Path.Combine(checkpointDirectory, StateFile)))
            state = Restore(checkpointDirectory, model, optimizer);

        long totalSteps = 0;
        double lastLoss = state.LastLoss;
        bool stoppedEarly = state.StoppedEarly;

        for (int epoch = state.Epoch + 1; epoch <= Options.Epochs && !stoppedEarly; epoch++)
        {
            model.train();
            var epochBatches = batches(epoch);
            // The schedule spans every epoch; batch counts are the same each epoch (batches depend on the epoch alone).
            if (totalSteps == 0) totalSteps = (long)epochBatches.Count * Options.Epochs;
            for (int i = state.StepInEpoch; i < epochBatches.Count; i++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    if (checkpointDirectory is not null) Save(checkpointDirectory, model, optimizer, state with { Epoch = epoch - 1, LastLoss = lastLoss });
                    cancellation.ThrowIfCancellationRequested();
                }

                using var scope = NewDisposeScope();
                double lr = LearningRateAt(state.Step, totalSteps);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                optimizer.zero_grad();
                var value = loss(epochBatches[i]);
                value.backward();
                if (Options.GradientClipNorm > 0) nn.utils.clip_grad_norm_(model.parameters(), Options.GradientClipNorm);
                optimizer.step();
                lastLoss = value.item<float>();
                state = state with { Step = state.Step + 1, StepInEpoch = i + 1 };
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, state.Step, totalSteps, lastLoss, lr, null));

                if (checkpointDirectory is not null && Options.CheckpointEverySteps > 0 && state.Step % Options.CheckpointEverySteps == 0)
                    Save(checkpointDirectory, model, optimizer, state with { Epoch = epoch - 1, LastLoss = lastLoss });
            }

            state = state with { Epoch = epoch, StepInEpoch = 0, LastLoss = lastLoss };
            if (validate is not null)
            {
                model.eval();
                double metric;
                using (no_grad()) metric = validate();
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, state.Step, totalSteps, lastLoss, LearningRateAt(state.Step - 1, totalSteps), metric));
                state = metric < (state.BestMetric ?? double.PositiveInfinity)
                    ? state with { BestMetric = metric, BestEpoch = epoch, EpochsWithoutImprovement = 0 }
                    : state with { EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1 };
                stoppedEarly = Options.EarlyStoppingPatience is { } patience && state.EpochsWithoutImprovement >= patience;
            }
            state = state with { StoppedEarly = stoppedEarly };
            if (checkpointDirectory is not null) Save(checkpointDirectory, model, optimizer, state);
        }
        return new TrainingResult(state.Epoch, state.Step, state.BestMetric, state.BestEpoch, state.StoppedEarly, lastLoss);
    }

    /// <summary>Linear warm-up to the peak, then cosine decay to the minimum at the last step.</summary>
    public double LearningRateAt(long step, long totalSteps)
    {
        if (step < Options.WarmupSteps) return Options.LearningRate * (step + 1) / Options.WarmupSteps;
        long decaySteps = Math.Max(1, totalSteps - Options.WarmupSteps);
        double progress = Math.Clamp((double)(step - Options.WarmupSteps) / decaySteps, 0, 1);
        return Options.MinLearningRate + 0.5 * (Options.LearningRate - Options.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }

    private AdamW CreateOptimizer(nn.Module model)
    {
        var decayed = new List<Parameter>();
        var exempt = new List<Parameter>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad) continue;
            bool noDecay = parameter.dim() < 2 || SsmInit.IsExemptFromWeightDecay(parameter) || name.EndsWith("embedding.weight", StringComparison.Ordinal);
            (noDecay ? exempt : decayed).Add(parameter);
        }
        return optim.AdamW(
        [
            new AdamW.ParamGroup(decayed, Options.LearningRate, Options.Beta1, Options.Beta2, weight_decay: Options.WeightDecay),
            new AdamW.ParamGroup(exempt, Options.LearningRate, Options.Beta1, Options.Beta2, weight_decay: 0),
        ], Options.LearningRate, Options.Beta1, Options.Beta2);
    }

    private static void Save(string directory, nn.Module model, AdamW optimizer, FitState state)
    {
        Directory.CreateDirectory(directory);
        Safetensors.Save(Path.Combine(directory, WeightsFile), ModelCheckpoint.Tensors(model));
        AtomicFile.Write(Path.Combine(directory, OptimizerFile), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            optimizer.save_state_dict(writer);
        });
        Safetensors.Save(Path.Combine(directory, RandomFile), new Dictionary<string, Tensor> { ["cpu"] = random.get_rng_state() });
        // Written last: a checkpoint exists only once its state file does, so a crash mid-save leaves the previous one.
        AtomicFile.WriteAllText(Path.Combine(directory, StateFile), JsonSerializer.Serialize(state, ModelCheckpoint.ConfigJson));
    }

    private static FitState Restore(string directory, nn.Module model, AdamW optimizer)
    {
        string statePath = Path.Combine(directory, StateFile);
        FitState state;
        try
        {
            state = JsonSerializer.Deserialize<FitState>(File.ReadAllText(statePath), ModelCheckpoint.ConfigJson)
                ?? throw new CheckpointMismatchException($"{statePath}: empty trainer state.");
        }
        catch (JsonException e)
        {
            throw new CheckpointMismatchException($"{statePath}: not a trainer state: {e.Message}");
        }
        ModelCheckpoint.LoadWeights(model, Path.Combine(directory, WeightsFile));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(directory, OptimizerFile))))
            optimizer.load_state_dict(reader);
        using (var rng = Safetensors.Load(Path.Combine(directory, RandomFile)))
            random.set_rng_state(rng.Tensors["cpu"]);
        return state;
    }

    private static TrainerOptions Validated(TrainerOptions options)
    {
        options.Validate();
        return options;
    }

    /// <summary>What a checkpoint records about the loop: completed epochs, steps, the batch to resume at, early-stopping state.</summary>
    private sealed record FitState
    {
        public int Epoch { get; init; }
        public long Step { get; init; }
        public int StepInEpoch { get; init; }
        public double? BestMetric { get; init; }
        public int? BestEpoch { get; init; }
        public int EpochsWithoutImprovement { get; init; }
        public bool StoppedEarly { get; init; }
        public double LastLoss { get; init; }
    }
}
