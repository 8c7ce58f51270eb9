using Mamba.Core.Training;
using Mamba.Sdk.Training;
using Mamba.Genomics.Tokens;
using static TorchSharp.torch;

namespace Mamba.Genomics.Classification;

/// <summary>Fine-tuning with cross-entropy; the weights of the epoch with the best validation loss are kept.</summary>
public static class ClassifierTraining
{
    /// <summary>
    /// Trains <paramref name="model"/> as fit <paramref name="name"/> of <paramref name="training"/> on
    /// <paramref name="train"/>, selecting on <paramref name="validation"/> loss.
    /// </summary>
    public static TrainingResult Fit(TrainingRun training, string name, SequenceClassifier model, IReadOnlyList<LabelledSequence> train, IReadOnlyList<LabelledSequence> validation, GenomicsClassifyOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        return training.Fit<LabelledSequence[]>(name, model, options,
            epoch => options.ShuffledBatches(train, epoch),
            batch =>
            {
                var (tokens, labels) = Batch(batch);
                return nn.functional.cross_entropy(model.forward(tokens), labels);
            },
            () => Loss(model, validation, options.BatchSize),
            cancellation: cancellation);
    }

    /// <summary>Class probabilities (N, classes) of <paramref name="sequences"/>, in order.</summary>
    public static float[][] Probabilities(SequenceClassifier model, IReadOnlyList<LabelledSequence> sequences, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        model.eval();
        using var noGrad = no_grad();
        var rows = new List<float[]>();
        foreach (var batch in sequences.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var probabilities = nn.functional.softmax(model.forward(Batch(batch).Tokens), 1);
            long classes = probabilities.shape[1];
            var flat = probabilities.data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++) rows.Add(flat.AsSpan(i * (int)classes, (int)classes).ToArray());
        }
        return [.. rows];
    }

    /// <summary>Argmax of <see cref="Probabilities"/>.</summary>
    public static int[] Predict(float[][] probabilities) =>
        [.. probabilities.Select(p => Array.IndexOf(p, p.Max()))];

    private static double Loss(SequenceClassifier model, IReadOnlyList<LabelledSequence> sequences, int batchSize)
    {
        model.eval();
        using var noGrad = no_grad();
        double total = 0;
        foreach (var batch in sequences.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var (tokens, labels) = Batch(batch);
            total += nn.functional.cross_entropy(model.forward(tokens), labels, reduction: nn.Reduction.Sum).item<float>();
        }
        model.train();
        return total / Math.Max(1, sequences.Count);
    }

    /// <summary>Right-padded token ids (B, L_max) and labels (B).</summary>
    private static (Tensor Tokens, Tensor Labels) Batch(LabelledSequence[] batch)
    {
        int length = batch.Max(s => s.Tokens.Length);
        var tokens = new long[batch.Length * length];
        for (int b = 0; b < batch.Length; b++)
            for (int i = 0; i < length; i++) tokens[b * length + i] = i < batch[b].Tokens.Length ? batch[b].Tokens[i] : NucleotideTokenizer.Pad;
        return (tensor(tokens).view(batch.Length, length), tensor(batch.Select(s => (long)s.Label).ToArray()));
    }
}
