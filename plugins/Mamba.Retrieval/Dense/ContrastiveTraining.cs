using Mamba.Core.Training;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Dense;

/// <summary>A training example: a query, its positive passage and optionally a hard negative (a passage BM25 ranks high that is not the positive).</summary>
public sealed record TrainingTriple(string Query, string Positive, string? Negative);

/// <summary>Settings of contrastive training.</summary>
public sealed record ContrastiveOptions
{
    /// <summary>Epochs over the triples.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Queries per batch: each query's in-batch negatives are the other queries' positives (and hard negatives).</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Softmax temperature τ of the similarity logits.</summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>Seed of shuffling and initialisation.</summary>
    public int Seed { get; init; }
}

/// <summary>
/// InfoNCE for a bi-encoder: for a batch of B queries and their B positives (plus B hard negatives when given), the
/// loss is the cross-entropy of picking the query's own positive among all passages of the batch from
/// cos(q, p) / τ. One shared tower encodes queries and passages.
/// </summary>
public static class ContrastiveTraining
{
    /// <summary>Trains <paramref name="encoder"/> on the same triples every epoch; the validation metric (lower is better) is <paramref name="validate"/>.</summary>
    public static TrainingResult Fit(DenseEncoder encoder, IReadOnlyList<TrainingTriple> triples, ContrastiveOptions options, Func<double>? validate, IProgress<TrainingProgress>? progress, CancellationToken cancellation) =>
        Fit(encoder, _ => triples, options, validate, progress, cancellation);

    /// <summary>
    /// Trains <paramref name="encoder"/> on <paramref name="triplesOfEpoch"/>(epoch), which must return the same number
    /// of triples every epoch (inverse cloze draws a new sentence per paragraph each epoch).
    /// </summary>
    public static TrainingResult Fit(DenseEncoder encoder, Func<int, IReadOnlyList<TrainingTriple>> triplesOfEpoch, ContrastiveOptions options, Func<double>? validate, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(triplesOfEpoch);
        ArgumentNullException.ThrowIfNull(options);
        int count = triplesOfEpoch(1).Count;
        var trainer = new Trainer(new TrainerOptions
        {
            Epochs = options.Epochs,
            LearningRate = options.LearningRate,
            MinLearningRate = options.LearningRate / 10,
            WarmupSteps = Math.Max(1, count / options.BatchSize / 2),
            WeightDecay = 0.01,
            Seed = options.Seed,
        });
        return trainer.Fit<TrainingTriple[]>(encoder,
            epoch =>
            {
                var random = new Random(DerivedSeed.Of(options.Seed, epoch));
                return [.. triplesOfEpoch(epoch).OrderBy(_ => random.Next()).Chunk(options.BatchSize).Where(b => b.Length > 1)];
            },
            batch => Loss(encoder, batch, options.Temperature),
            validate,
            progress, cancellation: cancellation);
    }

    /// <summary>
    /// Next-token pretraining on random windows of <paramref name="texts"/> (concatenated, end token between texts) for
    /// <paramref name="steps"/> steps of <paramref name="batchSize"/> windows of <paramref name="window"/> tokens.
    /// </summary>
    public static TrainingResult Pretrain(DenseEncoder encoder, IReadOnlyList<string> texts, int steps, int batchSize, int window, double learningRate, int seed, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(texts);
        var stream = texts.SelectMany(t => encoder.Tokenize(t, int.MaxValue)).ToArray();
        if (stream.Length <= window) throw new ArgumentException($"the texts have {stream.Length} tokens, fewer than one window of {window}", nameof(texts));
        var trainer = new Trainer(new TrainerOptions { Epochs = 1, LearningRate = learningRate, MinLearningRate = learningRate / 10, WarmupSteps = Math.Max(1, steps / 20), WeightDecay = 0.01, Seed = seed });
        return trainer.Fit<long[][]>(encoder,
            _ =>
            {
                var random = new Random(seed);
                return [.. Enumerable.Range(0, steps).Select(_ => Enumerable.Range(0, batchSize).Select(_ => stream.AsSpan(random.Next(stream.Length - window), window).ToArray()).ToArray())];
            },
            batch =>
            {
                using var windows = tensor(batch.SelectMany(w => w).ToArray()).view(batch.Length, window);
                return encoder.LanguageModelLoss(windows);
            },
            null, progress, cancellation: cancellation);
    }

    /// <summary>The InfoNCE loss of one batch.</summary>
    public static Tensor Loss(DenseEncoder encoder, IReadOnlyList<TrainingTriple> batch, double temperature)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var queries = encoder.Encode([.. batch.Select(t => t.Query)]);                                   // (B, d)
        var passageTexts = batch.Select(t => t.Positive).Concat(batch.Where(t => t.Negative is not null).Select(t => t.Negative!)).ToList();
        var passages = encoder.Encode(passageTexts);                                                       // (B + negatives, d)
        var logits = queries.matmul(passages.t()) / temperature;                                           // (B, B + negatives)
        return nn.functional.cross_entropy(logits, arange(batch.Count)).MoveToOuterDisposeScope();
    }
}
