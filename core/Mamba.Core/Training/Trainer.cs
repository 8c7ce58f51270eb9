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
    private const string StateFile = "trainer.json", WeightsFile = "model.safetensors", OptimizerFile = "optimizer.bin",
        RandomFile = "rng.safetensors", BestWeightsFile = "best.safetensors";

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; } = Validated(options);

    /// <summary>
    /// Trains <paramref name="model"/>. <paramref name="batches"/> gives epoch e's batches (e from 1); <paramref name="loss"/>
    /// maps a batch to a scalar loss; <paramref name="validate"/> (lower is better) runs after each epoch.
    /// With <paramref name="checkpointDirectory"/>, progress is saved there as a <see cref="CheckpointSet"/> (published
    /// whole, verified on resume) and a run finding a checkpoint resumes it. On cancellation the trainer checkpoints
    /// (when it has a directory) and throws <see cref="OperationCanceledException"/>. With
    /// <see cref="TrainerOptions.RestoreBestWeights"/> and validation, the best epoch's weights are kept (in the
    /// checkpoint when there is one, else in memory) and are the model's weights when Fit returns. Epoch ends write a
    /// checkpoint at most every <see cref="TrainerOptions.CheckpointIntervalSeconds"/>, and always after the last epoch.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient norm stopped being finite; the last checkpoint is kept.</exception>
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
        using var best = new BestWeights(Options.RestoreBestWeights && validate is not null);
        if (checkpointDirectory is not null && Restore(checkpointDirectory, model, optimizer) is { } restored)
        {
            state = restored.State;
            best.Resume(restored.Set);
        }

        long totalSteps = 0;
        double lastLoss = state.LastLoss;
        bool stoppedEarly = state.StoppedEarly;
        var sinceCheckpoint = System.Diagnostics.Stopwatch.StartNew();

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
                    if (checkpointDirectory is not null) Save(checkpointDirectory, model, optimizer, state with { Epoch = epoch - 1, LastLoss = lastLoss }, best);
                    cancellation.ThrowIfCancellationRequested();
                }

                using var scope = NewDisposeScope();
                double lr = LearningRateAt(state.Step, totalSteps);
                foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
                optimizer.zero_grad();
                var value = loss(epochBatches[i]);
                double stepLoss = value.item<float>();
                // Checked before the step: one non-finite update would poison every weight the optimizer touches.
                if (!double.IsFinite(stepLoss))
                    throw Diverged("training loss", stepLoss, state.Step + 1, epoch, i + 1, epochBatches.Count, checkpointDirectory);
                value.backward();
                if (Options.GradientClipNorm > 0)
                {
                    double norm = nn.utils.clip_grad_norm_(model.parameters(), Options.GradientClipNorm);
                    if (!double.IsFinite(norm))
                        throw Diverged("gradient norm", norm, state.Step + 1, epoch, i + 1, epochBatches.Count, checkpointDirectory);
                }
                optimizer.step();
                lastLoss = stepLoss;
                state = state with { Step = state.Step + 1, StepInEpoch = i + 1 };
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, state.Step, totalSteps, lastLoss, lr, null));

                if (checkpointDirectory is not null && Options.CheckpointEverySteps > 0 && state.Step % Options.CheckpointEverySteps == 0)
                {
                    Save(checkpointDirectory, model, optimizer, state with { Epoch = epoch - 1, LastLoss = lastLoss }, best);
                    sinceCheckpoint.Restart();
                }
            }

            state = state with { Epoch = epoch, StepInEpoch = 0, LastLoss = lastLoss };
            if (validate is not null)
            {
                model.eval();
                double metric;
                using (no_grad()) metric = validate();
                progress?.Report(new TrainingProgress(epoch, Options.Epochs, state.Step, totalSteps, lastLoss, LearningRateAt(state.Step - 1, totalSteps), metric));
                state = state with { History = [.. state.History, new EpochRecord(epoch, state.Step, lastLoss, metric)] };
                bool improved = metric < (state.BestMetric ?? double.PositiveInfinity);
                state = improved
                    ? state with { BestMetric = metric, BestEpoch = epoch, EpochsWithoutImprovement = 0 }
                    : state with { EpochsWithoutImprovement = state.EpochsWithoutImprovement + 1 };
                if (improved) best.Capture(model);
                stoppedEarly = Options.EarlyStoppingPatience is { } patience && state.EpochsWithoutImprovement >= patience;
            }
            state = state with { StoppedEarly = stoppedEarly };
            // The last epoch is always kept, so a later step of the job that is interrupted does not retrain this fit.
            bool last = epoch == Options.Epochs || stoppedEarly;
            if (checkpointDirectory is not null && (last || sinceCheckpoint.Elapsed.TotalSeconds >= Options.CheckpointIntervalSeconds))
            {
                Save(checkpointDirectory, model, optimizer, state, best);
                sinceCheckpoint.Restart();
            }
        }
        best.RestoreInto(model);
        return new TrainingResult(state.Epoch, state.Step, state.BestMetric, state.BestEpoch, state.StoppedEarly, lastLoss) { Options = Options, History = state.History };
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

    private static void Save(string directory, nn.Module model, AdamW optimizer, FitState state, BestWeights best)
    {
        string published = CheckpointSet.Publish(directory, set =>
        {
            Safetensors.Save(Path.Combine(set, WeightsFile), ModelCheckpoint.Tensors(model));
            AtomicFile.Write(Path.Combine(set, OptimizerFile), stream =>
            {
                using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            });
            Safetensors.Save(Path.Combine(set, RandomFile), new Dictionary<string, Tensor> { ["cpu"] = random.get_rng_state() });
            best.WriteInto(set);
            AtomicFile.WriteAllText(Path.Combine(set, StateFile), JsonSerializer.Serialize(state, ModelCheckpoint.ConfigJson));
        });
        best.Published(published);
    }

    /// <summary>The newest published checkpoint loaded into the model, optimizer and generator; null when there is none.</summary>
    private static (FitState State, string Set)? Restore(string directory, nn.Module model, AdamW optimizer)
    {
        if (File.Exists(Path.Combine(directory, StateFile)))
            throw new CheckpointMismatchException(
                $"{directory}: a checkpoint in the layout before checkpoint sets (loose {StateFile}); it cannot be verified, so start the run afresh.");
        if (CheckpointSet.Latest(directory) is not { } set) return null;
        string statePath = Path.Combine(set, StateFile);
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
        ModelCheckpoint.LoadWeights(model, Path.Combine(set, WeightsFile));
        using (var reader = new BinaryReader(File.OpenRead(Path.Combine(set, OptimizerFile))))
            optimizer.load_state_dict(reader);
        using (var rng = Safetensors.Load(Path.Combine(set, RandomFile)))
            random.set_rng_state(rng.Tensors["cpu"]);
        return (state, set);
    }

    private static TrainingDivergedException Diverged(string what, double value, long step, int epoch, int batch, int batches, string? checkpointDirectory) =>
        new(step, $"the {what} became {value} at step {step} (epoch {epoch}, batch {batch} of {batches}); training stopped. " +
            "Lower the learning rate or look for NaN or extreme values in the data. " +
            (checkpointDirectory is null ? "No checkpoint was kept (no checkpoint folder)." : $"The last checkpoint before it is kept in {checkpointDirectory}."));

    private static TrainerOptions Validated(TrainerOptions options)
    {
        options.Validate();
        return options;
    }

    /// <summary>
    /// The best validation epoch's weights: in the checkpoint set (so they survive a resume) once a set has been written
    /// after them, as in-memory copies until then (and for good when the run has no checkpoint folder). Inactive unless
    /// <see cref="TrainerOptions.RestoreBestWeights"/> is set.
    /// </summary>
    /// <remarks>
    /// Epoch ends need not write a set (<see cref="TrainerOptions.CheckpointIntervalSeconds"/>), so a new best is copied
    /// when found; the next set writes the copy and frees it, and later sets copy the file from the set before them.
    /// </remarks>
    private sealed class BestWeights(bool active) : IDisposable
    {
        private Dictionary<string, Tensor>? copies;
        private string? published;

        /// <summary>Takes the best weights a resumed checkpoint set carries.</summary>
        public void Resume(string set)
        {
            string path = Path.Combine(set, BestWeightsFile);
            if (active && File.Exists(path)) published = path;
        }

        /// <summary>The model's weights are now the best.</summary>
        public void Capture(nn.Module model)
        {
            if (!active) return;
            DisposeCopies();
            // Out of any dispose scope the caller has open: the copies live until written or restored.
            copies = ModelCheckpoint.Tensors(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
        }

        /// <summary>Puts the best weights into a set being written (it does not exist under its name yet).</summary>
        public void WriteInto(string staging)
        {
            string path = Path.Combine(staging, BestWeightsFile);
            if (copies is not null) Safetensors.Save(path, copies);
            else if (published is not null) File.Copy(published, path);
        }

        /// <summary>From now on the best weights are the file in the published <paramref name="set"/>.</summary>
        public void Published(string set)
        {
            if (copies is null && published is null) return;
            published = Path.Combine(set, BestWeightsFile);
            DisposeCopies();
        }

        public void RestoreInto(nn.Module model)
        {
            if (copies is not null)
            {
                using var noGrad = no_grad();
                var tensors = ModelCheckpoint.Tensors(model);
                foreach (var (name, copy) in copies) tensors[name].copy_(copy);
            }
            else if (published is not null) ModelCheckpoint.LoadWeights(model, published);
        }

        public void Dispose() => DisposeCopies();

        private void DisposeCopies()
        {
            if (copies is null) return;
            foreach (var tensor in copies.Values) tensor.Dispose();
            copies = null;
        }
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
        public EpochRecord[] History { get; init; } = [];
    }
}

/// <summary>Training stopped because the loss or the gradient norm was no longer finite; the message names the step.</summary>
public sealed class TrainingDivergedException(long step, string message) : Exception(message)
{
    /// <summary>The optimizer step (1-based, over all epochs) whose loss or gradient was not finite.</summary>
    public long Step { get; } = step;
}
