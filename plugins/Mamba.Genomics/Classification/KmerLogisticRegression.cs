using Mamba.Genomics.Tokens;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Genomics.Classification;

/// <summary>
/// The k-mer baseline: each sequence becomes the frequencies of all its k-mers for k = 1…K (windows with N skipped),
/// standardised on the training set, and a multinomial logistic regression with an L2 penalty is fitted by full-batch
/// Adam (the problem is convex; 400 steps reach its optimum to well within the accuracy's resolution). K and the
/// penalty are chosen on validation accuracy.
/// </summary>
public sealed class KmerLogisticRegression
{
    private static readonly double[] Penalties = [1e-4, 1e-3, 1e-2, 1e-1];
    private readonly float[] mean, scale, weight, bias;
    private readonly int classes;

    private KmerLogisticRegression(int maxK, double penalty, float[] mean, float[] scale, float[] weight, float[] bias, int classes)
    {
        MaxK = maxK;
        Penalty = penalty;
        this.mean = mean;
        this.scale = scale;
        this.weight = weight;
        this.bias = bias;
        this.classes = classes;
    }

    /// <summary>K: k-mers of length 1…K are counted.</summary>
    public int MaxK { get; }

    /// <summary>L2 penalty on the weights (per sample, as in scikit-learn's 1/(C·n)).</summary>
    public double Penalty { get; }

    /// <summary>Features: k-mer frequencies for k = 1…<paramref name="maxK"/>, 4 + 16 + … + 4^K columns.</summary>
    public static float[] Features(int[] tokens, int maxK)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        int columns = 0;
        for (int k = 1; k <= maxK; k++) columns += 1 << (2 * k);
        var features = new float[columns];
        int offset = 0;
        for (int k = 1; k <= maxK; k++)
        {
            int run = 0, code = 0, mask = (1 << (2 * k)) - 1, total = 0;
            foreach (int token in tokens)
            {
                int b = token - NucleotideTokenizer.A;
                if (b is < 0 or > 3) { run = 0; continue; }
                code = ((code << 2) | b) & mask;
                if (++run >= k) { features[offset + code]++; total++; }
            }
            if (total > 0) for (int i = 0; i < 1 << (2 * k); i++) features[offset + i] /= total;
            offset += 1 << (2 * k);
        }
        return features;
    }

    /// <summary>Fits every K in 1…<paramref name="maxK"/> and penalty, keeping the best on <paramref name="validation"/>.</summary>
    public static KmerLogisticRegression Select(IReadOnlyList<LabelledSequence> train, IReadOnlyList<LabelledSequence> validation, int classes, int maxK, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        KmerLogisticRegression? best = null;
        double bestAccuracy = double.NegativeInfinity;
        for (int k = 1; k <= maxK; k++)
        {
            foreach (double penalty in Penalties)
            {
                cancellation.ThrowIfCancellationRequested();
                var model = Fit(train, classes, k, penalty);
                double accuracy = ClassificationMetrics.Accuracy([.. validation.Select(s => s.Label)], model.Predict(validation));
                if (accuracy > bestAccuracy) (best, bestAccuracy) = (model, accuracy);
            }
        }
        return best!;
    }

    /// <summary>Fits K = <paramref name="maxK"/> with <paramref name="penalty"/>.</summary>
    public static KmerLogisticRegression Fit(IReadOnlyList<LabelledSequence> train, int classes, int maxK, double penalty)
    {
        ArgumentNullException.ThrowIfNull(train);
        using var scope = NewDisposeScope();
        var x = Matrix(train, maxK);
        var mean = x.mean([0]);
        var scale = x.std(0, keepdim: false).clamp_min(1e-6);
        x = (x - mean) / scale;
        var y = tensor(train.Select(s => (long)s.Label).ToArray());
        var w = new Parameter(zeros(x.shape[1], classes));
        var b = new Parameter(zeros(classes));
        using var optimizer = optim.Adam([w, b], lr: 0.01);
        for (int step = 0; step < 400; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(x.matmul(w) + b, y) + penalty * w.pow(2).sum() / 2;
            loss.backward();
            optimizer.step();
        }
        return new KmerLogisticRegression(maxK, penalty, Floats(mean), Floats(scale), Floats(w.detach()), Floats(b.detach()), classes);
    }

    /// <summary>Most probable class of each sequence.</summary>
    public int[] Predict(IReadOnlyList<LabelledSequence> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        using var scope = NewDisposeScope();
        var x = (Matrix(sequences, MaxK) - tensor(mean)) / tensor(scale);
        var logits = x.matmul(tensor(weight).view(-1, classes)) + tensor(bias);
        return [.. logits.argmax(1).data<long>().Select(c => (int)c)];
    }

    private static Tensor Matrix(IReadOnlyList<LabelledSequence> sequences, int maxK)
    {
        var rows = sequences.Select(s => Features(s.Tokens, maxK)).ToArray();
        int columns = rows[0].Length;
        var flat = new float[rows.Length * columns];
        for (int i = 0; i < rows.Length; i++) rows[i].CopyTo(flat, i * columns);
        return tensor(flat).view(rows.Length, columns);
    }

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();
}
