using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Mamba.Core.Training;

namespace Mamba.Sdk.Training;

/// <summary>
/// How a model is fitted: the <c>training</c> section every plugin binds from its job file, passed to
/// <see cref="TrainingRun.Fit{TBatch}"/>. The defaults below are the platform's; a plugin whose models want others sets
/// them in its derived section's constructor, so each default is stated once and a run's <c>job.json</c> records every
/// value it trained with.
/// </summary>
public class TrainingSection
{
    /// <summary>Passes over the training data (the most; early stopping may end sooner).</summary>
    [Range(1, 100_000), Description("Epochs (passes over the training data); early stopping may end sooner.")]
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per optimizer step.</summary>
    [Range(1, 1 << 20), Description("Examples per optimizer step.")]
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate of AdamW, reached at the end of the warm-up.</summary>
    [Range(1e-8, 10.0), Description("Peak learning rate (AdamW), reached after the warm-up.")]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>The learning rate at the last step, as a fraction of the peak (cosine decay between).</summary>
    [Range(0.0, 1.0), Description("Learning rate at the last step as a fraction of the peak; cosine decay between.")]
    public double MinLearningRateRatio { get; set; } = 0.1;

    /// <summary>Linear warm-up from zero, in epochs (fractions allowed; 0: none).</summary>
    [Range(0.0, 10_000.0), Description("Linear warm-up from zero, in epochs (fractions allowed; 0: none).")]
    public double WarmupEpochs { get; set; }

    /// <summary>AdamW weight decay of weight matrices (biases, norms, A_log, D and the Δ bias are never decayed).</summary>
    [Range(0.0, 10.0), Description("AdamW weight decay of weight matrices (biases, norms, A_log, D, dt bias: none).")]
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>AdamW β₁.</summary>
    [Range(0.0, 0.999999), Description("AdamW beta1.")]
    public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW β₂.</summary>
    [Range(0.0, 0.999999), Description("AdamW beta2.")]
    public double Beta2 { get; set; } = 0.95;

    /// <summary>The global gradient norm is clipped to this; 0 turns clipping off.</summary>
    [Range(0.0, 1e6), Description("Clip the global gradient norm to this; 0: no clipping.")]
    public double GradientClipNorm { get; set; } = 1.0;

    /// <summary>Stop after this many epochs without a better validation metric; null trains every epoch.</summary>
    [Range(1, 100_000), Description("Stop after this many epochs without validation improvement; null: never stop early.")]
    public int? Patience { get; set; }

    /// <summary>Leave the best validation epoch's weights in the model when training ends (kept in the checkpoint).</summary>
    [Description("Keep the best validation epoch's weights (true) or the last epoch's (false).")]
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>Seed of initialisation, shuffling and every other random choice of training.</summary>
    [Description("Seed of initialisation, shuffling and sampling.")]
    public int Seed { get; set; }

    /// <summary>At most one checkpoint per this many seconds at epoch ends (the last epoch and a stop always write one).</summary>
    [Range(0.0, 86_400.0), Description("Seconds between checkpoints at epoch ends (0: every epoch); a stop always checkpoints.")]
    public double CheckpointSeconds { get; set; } = 30;

    /// <summary>
    /// The seed of one random stream of a fit (an epoch's shuffle, a horizon's initialisation): <see cref="Seed"/> and
    /// <paramref name="parts"/> mixed by <see cref="DerivedSeed"/>, the same in every process, so a resumed run draws
    /// what the interrupted one would have.
    /// </summary>
    public int SeedFor(params ReadOnlySpan<long> parts)
    {
        Span<long> all = stackalloc long[parts.Length + 1];
        all[0] = Seed;
        parts.CopyTo(all[1..]);
        return DerivedSeed.Of(all);
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/>'s batches of <paramref name="items"/>: shuffled by <c>SeedFor(epoch)</c> and cut
    /// into <see cref="BatchSize"/> items (the last batch may be smaller). A pure function of the epoch, as
    /// <see cref="TrainingRun.Fit{TBatch}"/> needs.
    /// </summary>
    public T[][] ShuffledBatches<T>(IEnumerable<T> items, int epoch)
    {
        var random = new Random(SeedFor(epoch));
        return [.. items.OrderBy(_ => random.Next()).Chunk(BatchSize)];
    }

    /// <summary>A copy to change for one fit (a pretraining phase, an adaptation) without touching the job's options.</summary>
    public TrainingSection Copy() => (TrainingSection)MemberwiseClone();

    /// <summary>The core trainer's settings for a fit of <paramref name="batchesPerEpoch"/> steps per epoch.</summary>
    /// <param name="batchesPerEpoch">Optimizer steps per epoch (the warm-up is stated in epochs).</param>
    /// <param name="validated">Whether the fit validates: best weights and patience need a validation metric.</param>
    /// <param name="seed">The fit's seed; <see cref="Seed"/> unless a plugin runs several fits of one job.</param>
    public TrainerOptions ToTrainerOptions(int batchesPerEpoch, bool validated, int? seed = null) => new()
    {
        Epochs = Epochs,
        LearningRate = LearningRate,
        MinLearningRate = LearningRate * MinLearningRateRatio,
        // The small epsilon keeps 0.05 × 800 at 40 steps (binary fractions sit a hair below their decimal).
        WarmupSteps = (int)Math.Floor(WarmupEpochs * batchesPerEpoch + 1e-9),
        WeightDecay = WeightDecay,
        Beta1 = Beta1,
        Beta2 = Beta2,
        GradientClipNorm = GradientClipNorm,
        EarlyStoppingPatience = validated ? Patience : null,
        RestoreBestWeights = validated && RestoreBestWeights,
        Seed = seed ?? Seed,
        CheckpointIntervalSeconds = CheckpointSeconds,
    };
}
