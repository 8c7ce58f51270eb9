using Mamba.Sdk.Data;

namespace Mamba.Forecasting.Data;

/// <summary>Missing-value handling under the job's policy.</summary>
public static class MissingValues
{
    /// <summary>Fills NaNs in place per <paramref name="policy"/>, or throws naming the first missing cell.</summary>
    /// <returns>The number of cells filled.</returns>
    public static int Apply(SeriesFrame frame, MissingValuePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(frame);
        int filled = 0;
        for (int c = 0; c < frame.Columns.Count; c++)
        {
            double[] values = frame.Columns[c];
            int first = Array.FindIndex(values, double.IsNaN);
            if (first < 0) continue;
            if (policy == MissingValuePolicy.Error)
                throw new DataFormatException(frame.Source,
                    $"missing value (set data.missing to forward-fill or linear to fill gaps)", first + 2, frame.Names[c]);
            if (values.All(double.IsNaN)) throw new DataFormatException(frame.Source, "every value is missing", column: frame.Names[c]);
            filled += values.Count(double.IsNaN);
            if (policy == MissingValuePolicy.ForwardFill) ForwardFill(values);
            else Interpolate(values);
        }
        return filled;
    }

    private static void ForwardFill(double[] values)
    {
        double last = values.First(v => !double.IsNaN(v));
        for (int i = 0; i < values.Length; i++)
            if (double.IsNaN(values[i])) values[i] = last;
            else last = values[i];
    }

    private static void Interpolate(double[] values)
    {
        int previous = -1;
        for (int i = 0; i <= values.Length; i++)
        {
            if (i < values.Length && double.IsNaN(values[i])) continue;
            for (int j = previous + 1; j < i; j++)
                values[j] = previous < 0 ? values[i] : i == values.Length ? values[previous]
                    : values[previous] + (values[i] - values[previous]) * (j - previous) / (i - previous);
            previous = i;
        }
    }
}

/// <summary>Per-column z-scoring fitted on the training rows only (no look-ahead).</summary>
public sealed record StandardScaler(double[] Mean, double[] Std)
{
    /// <summary>Fits on rows [0, <paramref name="rows"/>) of <paramref name="columns"/>.</summary>
    public static StandardScaler Fit(IReadOnlyList<double[]> columns, int rows)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var mean = new double[columns.Count];
        var std = new double[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            var train = columns[c].AsSpan(0, rows);
            double m = 0;
            foreach (double v in train) m += v;
            m /= rows;
            double s = 0;
            foreach (double v in train) s += (v - m) * (v - m);
            mean[c] = m;
            std[c] = Math.Sqrt(s / rows) is var sd && sd > 1e-12 ? sd : 1.0;
        }
        return new StandardScaler(mean, std);
    }
}
