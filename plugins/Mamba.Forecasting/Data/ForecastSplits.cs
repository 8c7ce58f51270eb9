namespace Mamba.Forecasting.Data;

/// <summary>Row ranges [Start, End) of one split; windows start at Start and end by End.</summary>
public readonly record struct SplitRange(int Start, int End)
{
    /// <summary>Rows in the range.</summary>
    public int Rows => End - Start;
}

/// <summary>Train, validation and test ranges, and which protocol chose them.</summary>
public sealed record ForecastSplits(SplitRange Train, SplitRange Validation, SplitRange Test, string Protocol)
{
    /// <summary>
    /// The Time-Series-Library borders. ETTh* files: 12/4/4 months of hours (8640/2880/2880 rows), ETTm* ×4; other
    /// files 7:1:2 in time order. Validation and test start one lookback early so their first window's input
    /// overlaps the previous split and every target row of the split is forecast.
    /// </summary>
    public static ForecastSplits For(string fileName, int rows, int lookback)
    {
        string name = Path.GetFileName(fileName);
        int month = name.StartsWith("ETTh", StringComparison.Ordinal) ? 30 * 24
            : name.StartsWith("ETTm", StringComparison.Ordinal) ? 30 * 24 * 4 : 0;
        if (month > 0)
        {
            int trainEnd = 12 * month, validationEnd = 16 * month, testEnd = 20 * month;
            if (rows < testEnd)
                throw new ArgumentException($"{name} has {rows} rows; the ETT protocol needs {testEnd} (12/4/4 months).");
            return new ForecastSplits(new(0, trainEnd), new(trainEnd - lookback, validationEnd), new(validationEnd - lookback, testEnd), "ETT 12/4/4 months");
        }
        int train = (int)(rows * 0.7), test = (int)(rows * 0.2), validation = rows - train - test;
        return new ForecastSplits(new(0, train), new(train - lookback, train + validation), new(rows - test - lookback, rows), "7:1:2 chronological");
    }
}
