namespace Mamba.Core.Training;

/// <summary>Settings of <see cref="Trainer"/>; the defaults are common choices for Mamba models.</summary>
public sealed record TrainerOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Peak learning rate, reached at the end of the warm-up.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Learning rate at the end of the cosine decay.</summary>
    public double MinLearningRate { get; init; } = 1e-5;

    /// <summary>Optimizer steps of linear warm-up from zero.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>AdamW weight decay, applied to weight matrices only (see <see cref="Trainer"/>).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>AdamW β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Clip the global gradient norm to this; 0 turns clipping off.</summary>
    public double GradientClipNorm { get; init; } = 1.0;

    /// <summary>Stop when the validation metric has not improved for this many epochs; null never stops early.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Seed of libtorch's generator, set before the model's first step.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Keep the weights of the epoch with the best validation metric and leave them in the model when training ends
    /// (they travel in the checkpoint, so a resumed run restores the same ones). Needs a validation function.
    /// </summary>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Also checkpoint every this many optimizer steps (0: only at epoch ends and on cancellation).</summary>
    public int CheckpointEverySteps { get; init; }

    /// <summary>
    /// Seconds that must pass after a checkpoint before an epoch end writes another (0: every epoch end). The last
    /// epoch and a cancellation always checkpoint; a crash loses at most this much work plus one epoch. Full-batch
    /// training (one step per epoch) would otherwise write a checkpoint per step.
    /// </summary>
    public double CheckpointIntervalSeconds { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"Epochs must be at least 1, got {Epochs}.");
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive, got {LearningRate}.");
        if (MinLearningRate < 0 || MinLearningRate > LearningRate)
            throw new ArgumentException($"MinLearningRate must lie in [0, LearningRate = {LearningRate}], got {MinLearningRate}.");
        if (WarmupSteps < 0) throw new ArgumentException($"WarmupSteps must not be negative, got {WarmupSteps}.");
        if (WeightDecay < 0) throw new ArgumentException($"WeightDecay must not be negative, got {WeightDecay}.");
        if (Beta1 is < 0 or >= 1 || Beta2 is < 0 or >= 1) throw new ArgumentException($"Beta1 and Beta2 must lie in [0, 1), got {Beta1} and {Beta2}.");
        if (GradientClipNorm < 0) throw new ArgumentException($"GradientClipNorm must not be negative, got {GradientClipNorm}.");
        if (EarlyStoppingPatience is < 1) throw new ArgumentException($"EarlyStoppingPatience must be at least 1, got {EarlyStoppingPatience}.");
        if (CheckpointEverySteps < 0) throw new ArgumentException($"CheckpointEverySteps must not be negative, got {CheckpointEverySteps}.");
        if (!(CheckpointIntervalSeconds >= 0)) throw new ArgumentException($"CheckpointIntervalSeconds must not be negative, got {CheckpointIntervalSeconds}.");
    }
}

/// <summary>Where training is, reported after every optimizer step and every validation.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Step">Optimizer steps so far, over all epochs.</param>
/// <param name="TotalSteps">Optimizer steps planned.</param>
/// <param name="Loss">The last batch's training loss.</param>
/// <param name="LearningRate">The learning rate of that step.</param>
/// <param name="ValidationMetric">The epoch's validation metric, on the report after validation; otherwise null.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double LearningRate, double? ValidationMetric);

/// <summary>How a <see cref="Trainer.Fit"/> call ended.</summary>
/// <param name="EpochsRun">Epochs completed, over every session of a resumed run.</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="BestValidationMetric">Lowest validation metric seen; null without validation.</param>
/// <param name="BestEpoch">The epoch that reached it.</param>
/// <param name="StoppedEarly">True when early stopping ended the run.</param>
/// <param name="LastLoss">The last batch's training loss.</param>
public sealed record TrainingResult(int EpochsRun, long Steps, double? BestValidationMetric, int? BestEpoch, bool StoppedEarly, double LastLoss)
{
    /// <summary>The settings the run trained with, for recording beside its results.</summary>
    public TrainerOptions? Options { get; init; }

    /// <summary>Each validated epoch's outcome, over every session of a resumed run (it travels in the checkpoint).</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = [];
}

/// <summary>One validated epoch: where it ended, its last batch's loss and its validation metric.</summary>
public sealed record EpochRecord(int Epoch, long Step, double Loss, double Validation);
