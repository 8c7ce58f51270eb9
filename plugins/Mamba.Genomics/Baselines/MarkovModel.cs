namespace Mamba.Genomics.Baselines;

/// <summary>
/// Order-k Markov model of DNA, the standard non-neural baseline: P(x_t | x_{t−k}…x_{t−1}) from counts with additive
/// smoothing α. Contexts containing N are skipped in fitting and scoring (N is not a base to predict); the first k bases
/// of a sequence are scored with the longest context available (lower orders fitted alongside).
/// </summary>
public sealed class MarkovModel
{
    private readonly double[][] counts;   // per order j ≤ k: 4^j contexts × 4 next bases

    private MarkovModel(int order, double alpha, double[][] counts)
    {
        Order = order;
        Alpha = alpha;
        this.counts = counts;
    }

    /// <summary>k.</summary>
    public int Order { get; }

    /// <summary>Additive smoothing α.</summary>
    public double Alpha { get; }

    /// <summary>Counts every order 0…<paramref name="order"/> on <paramref name="bases"/> (upper-case A, C, G, T, N).</summary>
    public static MarkovModel Fit(ReadOnlySpan<char> bases, int order, double alpha)
    {
        if (order is < 0 or > 12) throw new ArgumentOutOfRangeException(nameof(order), order, "order must lie in 0…12 (4^k contexts, counted densely)");
        if (!(alpha > 0)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "smoothing must be positive");
        var counts = new double[order + 1][];
        for (int j = 0; j <= order; j++) counts[j] = new double[(1 << (2 * j)) * 4];
        Walk(bases, order, (j, context, next) => counts[j][context * 4 + next]++);
        return new MarkovModel(order, alpha, counts);
    }

    /// <summary>Mean negative log₂-likelihood per scored base of <paramref name="bases"/>, and how many bases were scored.</summary>
    public (double BitsPerBase, long Bases) Evaluate(ReadOnlySpan<char> bases)
    {
        double bits = 0;
        long scored = 0;
        Walk(bases, Order, (j, context, next) =>
        {
            var table = counts[j];
            int row = context * 4;
            double total = table[row] + table[row + 1] + table[row + 2] + table[row + 3];
            bits -= Math.Log2((table[row + next] + Alpha) / (total + 4 * Alpha));
            scored++;
        });
        return (scored == 0 ? double.NaN : bits / scored, scored);
    }

    /// <summary>
    /// The order in 0…<paramref name="maxOrder"/> whose model fitted on <paramref name="train"/> scores
    /// <paramref name="validation"/> best, with its bits per base there.
    /// </summary>
    public static (MarkovModel Model, double ValidationBits) SelectOrder(ReadOnlySpan<char> train, ReadOnlySpan<char> validation, int maxOrder, double alpha)
    {
        MarkovModel? best = null;
        double bestBits = double.PositiveInfinity;
        for (int k = 0; k <= maxOrder; k++)
        {
            var model = Fit(train, k, alpha);
            double bits = model.Evaluate(validation).BitsPerBase;
            if (bits < bestBits) (best, bestBits) = (model, bits);
        }
        return (best!, bestBits);
    }

    /// <summary>
    /// Calls <paramref name="visit"/>(order used, context index, next base) for every A/C/G/T position, with the longest
    /// context of at most <paramref name="order"/> A/C/G/T bases since the last N (or the start).
    /// </summary>
    private static void Walk(ReadOnlySpan<char> bases, int order, Action<int, int, int> visit)
    {
        int context = 0, length = 0, mask = (1 << (2 * order)) - 1;
        foreach (char c in bases)
        {
            int next = c switch { 'A' => 0, 'C' => 1, 'G' => 2, 'T' => 3, _ => -1 };
            if (next < 0) { context = 0; length = 0; continue; }
            int j = Math.Min(length, order);
            visit(j, context & ((1 << (2 * j)) - 1), next);
            context = ((context << 2) | next) & mask;
            length++;
        }
    }
}
