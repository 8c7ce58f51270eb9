using Mamba.Core.Training;
using Mamba.Sdk.Training;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Dense;

/// <summary>A training example: a query, its positive passage and optionally a hard negative (a passage BM25 ranks high that is not the positive).</summary>
public sealed record TrainingTriple(string Query, string Positive, string? Negative);

/// <summary>
/// InfoNCE for a bi-encoder: for a batch of B queries and their B positives (plus B hard negatives when given), the
/// loss is the cross-entropy of picking the query's own positive among all passages of the batch from
/// cos(q, p) / τ. One shared tower encodes queries and passages.
/// </summary>
public static class ContrastiveTraining
{
    /// <summary>
    /// Trains <paramref name="encoder"/> as fit <paramref name="name"/> of <paramref name="training"/> on
    /// <paramref name="triplesOfEpoch"/>(epoch), which must return the same number of triples every epoch (inverse
    /// cloze draws a new sentence per paragraph each epoch); <paramref name="validate"/> (lower is better) selects the
    /// epoch kept.
    /// </summary>
    public static TrainingResult Fit(TrainingRun training, string name, DenseEncoder encoder, Func<int, IReadOnlyList<TrainingTriple>> triplesOfEpoch, TrainingSection section, double temperature, Func<double>? validate, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(triplesOfEpoch);
        ArgumentNullException.ThrowIfNull(section);
        return training.Fit<TrainingTriple[]>(name, encoder, section,
            // A batch of one query has no negatives.
            epoch => [.. section.ShuffledBatches(triplesOfEpoch(epoch), epoch).Where(b => b.Length > 1)],
            batch => Loss(encoder, batch, temperature),
            validate, "validation InfoNCE", cancellation: cancellation);
    }

    /// <summary>
    /// Next-token pretraining as fit <paramref name="name"/> of <paramref name="training"/>: one epoch of
    /// <paramref name="steps"/> batches of random <paramref name="window"/>-token windows of <paramref name="texts"/>
    /// (concatenated, end token between texts), with <paramref name="section"/>'s batch size, peak learning rate and seed.
    /// </summary>
    public static TrainingResult Pretrain(TrainingRun training, string name, DenseEncoder encoder, IReadOnlyList<string> texts, int steps, int window, TrainingSection section, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(section);
        var stream = texts.SelectMany(t => encoder.Tokenize(t, int.MaxValue)).ToArray();
        if (stream.Length <= window) throw new ArgumentException($"the texts have {stream.Length} tokens, fewer than one window of {window}", nameof(texts));
        var pretraining = section.Copy();
        pretraining.Epochs = 1;
        pretraining.WarmupEpochs = 0.05;
        return training.Fit<long[][]>(name, encoder, pretraining,
            _ =>
            {
                var random = new Random(section.Seed);
                return [.. Enumerable.Range(0, steps).Select(_ => Enumerable.Range(0, section.BatchSize).Select(_ => stream.AsSpan(random.Next(stream.Length - window), window).ToArray()).ToArray())];
            },
            batch =>
            {
                using var windows = tensor(batch.SelectMany(w => w).ToArray()).view(batch.Length, window);
                return encoder.LanguageModelLoss(windows);
            },
            cancellation: cancellation);
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
