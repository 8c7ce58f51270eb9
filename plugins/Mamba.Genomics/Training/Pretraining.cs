using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Core.Training;
using Mamba.Sdk.Training;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using static TorchSharp.torch;

namespace Mamba.Genomics.Training;

/// <summary>
/// Pretraining of a <see cref="DnaLanguageModel"/> on random crops of long sequences: next-base prediction for a causal
/// model, BERT masking (15 % of bases; of those 80 % → mask, 10 % → a random base, 10 % unchanged) for a masked one.
/// Validation is bits per base: streamed over the validation region (causal) or on the masked bases of fixed crops.
/// </summary>
public static class Pretraining
{
    private const long Ignore = -100;

    /// <summary>
    /// Trains <paramref name="model"/> as fit <paramref name="name"/> of <paramref name="training"/> on crops of
    /// <paramref name="train"/>, validating (bits per base) on <paramref name="validation"/>.
    /// </summary>
    public static TrainingResult Fit(TrainingRun training, string name, DnaLanguageModel model, IReadOnlyList<int[]> train, int[] validation, GenomicsTrainingOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        var crops = new CropSampler(train, options.Window);
        bool causal = model.Spec.Objective == Objective.Causal;
        var validationCrops = causal ? null : MaskedValidationSet(validation, options);
        return training.Fit<int[][]>(name, model, options,
            epoch =>
            {
                var random = new Random(options.SeedFor(epoch));
                return [.. Enumerable.Range(0, options.StepsPerEpoch).Select(_ => Enumerable.Range(0, options.BatchSize).Select(_ => crops.Next(random)).ToArray())];
            },
            batch => causal ? CausalLoss(model.Causal, batch) : MaskedLoss(model, batch, new Random(options.SeedFor(batch[0].Length, batch[0][0], batch[^1][^1])), options.MaskRate),
            () => causal
                ? BitsPerBase(model.Causal, validation.AsSpan(0, Math.Min(validation.Length, options.ValidationBases)).ToArray(), 4096).BitsPerBase
                : MaskedBitsPerBase(model, validationCrops!),
            "validation bits/base", cancellation: cancellation);
    }

    /// <summary>Next-base cross-entropy of windows (each predicted from a BOS token and the bases before it).</summary>
    internal static Tensor CausalLoss(TokenModel model, int[][] windows)
    {
        int window = windows[0].Length;
        var batch = new long[windows.Length * (window + 1)];
        for (int b = 0; b < windows.Length; b++)
        {
            batch[b * (window + 1)] = NucleotideTokenizer.Bos;
            for (int i = 0; i < window; i++) batch[b * (window + 1) + 1 + i] = windows[b][i];
        }
        var tokens = tensor(batch).view(windows.Length, window + 1);
        var logits = model.forward(tokens[.., ..^1]);                                   // (B, W, V): predicts bases 1…W
        return nn.functional.cross_entropy(logits.reshape(-1, NucleotideTokenizer.VocabularySize), tokens[.., 1..].reshape(-1));
    }

    /// <summary>Masked-LM cross-entropy over the selected bases of <paramref name="windows"/>.</summary>
    internal static Tensor MaskedLoss(DnaLanguageModel model, int[][] windows, Random random, double maskRate)
    {
        var (inputs, targets) = Mask(windows, random, maskRate);
        var logits = model.forward(inputs);
        return nn.functional.cross_entropy(logits.reshape(-1, NucleotideTokenizer.VocabularySize), targets.reshape(-1), ignore_index: Ignore);
    }

    /// <summary>
    /// BERT masking of bases: each base is selected with probability <paramref name="maskRate"/> (at least one per
    /// batch); a selected base becomes the mask token (80 %), a uniformly random base (10 %) or stays (10 %).
    /// Returns the inputs (B, L) and targets (B, L) with -100 at positions not selected.
    /// </summary>
    internal static (Tensor Inputs, Tensor Targets) Mask(int[][] windows, Random random, double maskRate)
    {
        int length = windows[0].Length;
        var inputs = new long[windows.Length * length];
        var targets = new long[inputs.Length];
        bool any = false;
        for (int b = 0; b < windows.Length; b++)
        {
            for (int i = 0; i < length; i++)
            {
                int token = windows[b][i], at = b * length + i;
                inputs[at] = token;
                targets[at] = Ignore;
                if (!IsBase(token) || random.NextDouble() >= maskRate) continue;
                targets[at] = token;
                any = true;
                double roll = random.NextDouble();
                inputs[at] = roll < 0.8 ? NucleotideTokenizer.Mask : roll < 0.9 ? NucleotideTokenizer.A + random.Next(4) : token;
            }
        }
        if (!any)
        {
            int at = Array.FindIndex(inputs, t => IsBase((int)t));
            if (at < 0) throw new ArgumentException("a masked batch needs at least one base (A, C, G or T)", nameof(windows));
            targets[at] = inputs[at];
            inputs[at] = NucleotideTokenizer.Mask;
        }
        return (tensor(inputs).view(windows.Length, length), tensor(targets).view(windows.Length, length));
    }

    /// <summary>
    /// Bits per base of <paramref name="region"/>: BOS, then the region in chunks of <paramref name="chunk"/> tokens, the
    /// state carried from chunk to chunk, every base predicted from all bases before it in the region. Memory depends on
    /// the chunk, not the region. Unknown bases (N) are fed but not scored. <paramref name="onChunk"/> sees the bases done.
    /// </summary>
    public static (double BitsPerBase, long Bases) BitsPerBase(TokenModel model, int[] region, int chunk, Action<long>? onChunk = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(region);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        model.eval();
        using var noGrad = no_grad();
        double nats = 0;
        long scored = 0;
        BackboneState? state = null;
        for (int start = 0; start < region.Length; start += chunk)
        {
            int length = Math.Min(chunk, region.Length - start);
            using var scope = NewDisposeScope();
            var inputs = new long[length];
            for (int i = 0; i < length; i++) inputs[i] = start + i == 0 ? NucleotideTokenizer.Bos : region[start + i - 1];   // input t predicts region[t]
            var (logits, next) = model.Prefill(tensor(inputs).unsqueeze(0), state);
            var targets = tensor(region.AsSpan(start, length).ToArray().Select(t => (long)t).ToArray());
            var logProbabilities = nn.functional.log_softmax(logits.squeeze(0), 1).gather(1, targets.unsqueeze(1)).squeeze(1);
            var known = targets != NucleotideTokenizer.Unknown;
            nats -= logProbabilities.masked_select(known).sum().item<float>();
            scored += known.sum().item<long>();
            state?.Dispose();
            foreach (var layer in next.Layers) layer.MoveToOuterDisposeScope();
            state = next;
            onChunk?.Invoke(start + length);
        }
        state?.Dispose();
        return (nats / Math.Max(1, scored) / Math.Log(2), scored);
    }

    /// <summary>Bits per masked base on fixed, deterministically masked validation crops.</summary>
    internal static double MaskedBitsPerBase(DnaLanguageModel model, IReadOnlyList<(Tensor Inputs, Tensor Targets)> crops)
    {
        model.eval();
        using var noGrad = no_grad();
        double nats = 0;
        long scored = 0;
        foreach (var (inputs, targets) in crops)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(inputs);
            nats += nn.functional.cross_entropy(logits.reshape(-1, NucleotideTokenizer.VocabularySize), targets.reshape(-1), ignore_index: Ignore, reduction: nn.Reduction.Sum).item<float>();
            scored += (targets != Ignore).sum().item<long>();
        }
        return nats / Math.Max(1, scored) / Math.Log(2);
    }

    private static List<(Tensor Inputs, Tensor Targets)> MaskedValidationSet(int[] validation, GenomicsTrainingOptions options)
    {
        int window = Math.Min(options.Window, validation.Length);
        if (window < 1) throw new ArgumentException("the validation region is empty", nameof(validation));
        var random = new Random(options.SeedFor(-1));
        var windows = new List<int[]>();
        for (int start = 0; start + window <= validation.Length && windows.Count * window < options.ValidationBases; start += window)
            windows.Add(validation[start..(start + window)]);
        return [.. windows.Chunk(options.BatchSize).Select(batch =>
        {
            var (inputs, targets) = Mask(batch, random, options.MaskRate);
            inputs.DetachFromDisposeScope();
            targets.DetachFromDisposeScope();
            return (inputs, targets);
        })];
    }

    private static bool IsBase(int token) => token >= NucleotideTokenizer.A && token < NucleotideTokenizer.A + 4;

    /// <summary>Uniform random windows over a set of sequences (each start equally likely).</summary>
    private sealed class CropSampler
    {
        private readonly IReadOnlyList<int[]> sequences;
        private readonly long[] cumulative;
        private readonly int window;

        public CropSampler(IReadOnlyList<int[]> sequences, int window)
        {
            this.sequences = sequences;
            this.window = window;
            cumulative = new long[sequences.Count];
            long total = 0;
            for (int i = 0; i < sequences.Count; i++) cumulative[i] = total += Math.Max(0, sequences[i].Length - window + 1);
            if (total == 0) throw new ArgumentException($"no training sequence is as long as a window ({window} bases)", nameof(sequences));
        }

        public int[] Next(Random random)
        {
            long pick = random.NextInt64(cumulative[^1]);
            int index = Array.BinarySearch(cumulative, pick + 1);
            if (index < 0) index = ~index;
            long before = index == 0 ? 0 : cumulative[index - 1];
            int start = (int)(pick - before);
            return sequences[index][start..(start + window)];
        }
    }
}
