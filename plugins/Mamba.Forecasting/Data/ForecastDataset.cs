using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Data;

/// <summary>Sliding windows of one split: inputs [W, L, C_in] and targets [W, H, C_out], z-scored.</summary>
public sealed class WindowSet(Tensor inputs, Tensor targets, int firstRow) : IDisposable
{
    /// <summary>[W, L, C_in].</summary>
    public Tensor Inputs { get; } = inputs;

    /// <summary>[W, H, C_out].</summary>
    public Tensor Targets { get; } = targets;

    /// <summary>The frame row of the first window's first input.</summary>
    public int FirstRow { get; } = firstRow;

    /// <summary>Number of windows.</summary>
    public int Count => (int)Inputs.shape[0];

    /// <inheritdoc/>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// A series made ready for forecasting: missing values handled, splits chosen by the protocol, the scaler fitted on
/// the training rows, inputs and targets chosen by the feature mode.
/// </summary>
public sealed class ForecastDataset
{
    private readonly float[,] scaled;

    private ForecastDataset(SeriesFrame frame, DataOptions options)
    {
        Frame = frame;
        Lookback = options.Lookback;
        int target = options.Target is null ? frame.Names.Count - 1 : frame.IndexOf(options.Target);
        InputColumns = options.Features == FeatureMode.S ? [target] : [.. Enumerable.Range(0, frame.Names.Count)];
        OutputColumns = options.Features == FeatureMode.M ? [.. InputColumns] : [target];
        Splits = ForecastSplits.For(frame.Source, frame.RowCount, Lookback);
        Scaler = StandardScaler.Fit(frame.Columns, Splits.Train.End);
        scaled = new float[frame.RowCount, frame.Names.Count];
        for (int c = 0; c < frame.Names.Count; c++)
            for (int r = 0; r < frame.RowCount; r++)
                scaled[r, c] = (float)((frame.Columns[c][r] - Scaler.Mean[c]) / Scaler.Std[c]);
    }

    /// <summary>Missing cells filled under <c>data.missing</c>.</summary>
    public int FilledCells { get; private init; }

    /// <summary>The series as read (after filling).</summary>
    public SeriesFrame Frame { get; }

    /// <summary>Input length.</summary>
    public int Lookback { get; }

    /// <summary>Frame columns fed to the model.</summary>
    public int[] InputColumns { get; }

    /// <summary>Frame columns forecast.</summary>
    public int[] OutputColumns { get; }

    /// <summary>For each output column, its position among the inputs (the model's variate tokens).</summary>
    public long[] OutputPositions => [.. OutputColumns.Select(c => (long)Array.IndexOf(InputColumns, c))];

    /// <summary>The train/validation/test borders.</summary>
    public ForecastSplits Splits { get; }

    /// <summary>Fitted on the training rows.</summary>
    public StandardScaler Scaler { get; }

    /// <summary>
    /// Reads nothing itself: prepares <paramref name="frame"/> under <paramref name="options"/>, and checks that the
    /// lookback and every horizon fit each split of this series.
    /// </summary>
    /// <exception cref="DataFormatException">Missing values under the error policy, or too few rows for the protocol.</exception>
    /// <exception cref="JobOptionsException">The target is not a column, or the lookback or a horizon does not fit the series.</exception>
    public static ForecastDataset Prepare(SeriesFrame frame, DataOptions options)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Target is { } target && !frame.Names.Contains(target))
            throw new JobOptionsException("options.data.target", $"'{target}' is not a column of {frame.Source}; its columns: {string.Join(", ", frame.Names)}");
        int filled = MissingValues.Apply(frame, options.Missing);
        ForecastDataset data;
        try
        {
            data = new ForecastDataset(frame, options) { FilledCells = filled };
        }
        catch (ArgumentException e)
        {
            throw new DataFormatException(frame.Source, e.Message);
        }
        data.RequireFits(options.Horizons, "options.data.horizons");
        return data;
    }

    /// <summary>Checks that the lookback and each of <paramref name="horizons"/> leave at least one window in every split.</summary>
    /// <exception cref="JobOptionsException">One does not fit; the key and the split's size are named.</exception>
    public void RequireFits(IReadOnlyList<int> horizons, string keyPath)
    {
        ArgumentNullException.ThrowIfNull(horizons);
        var splits = new[] { ("training", Splits.Train), ("validation", Splits.Validation), ("test", Splits.Test) };
        if (splits.FirstOrDefault(s => s.Item2.Start < 0) is { Item1: not null } early)
            throw new JobOptionsException("options.data.lookback",
                $"lookback {Lookback} does not fit {Frame.Source}: its {Frame.RowCount} rows split {Splits.Protocol}, and the {early.Item1} windows " +
                $"would start {-early.Item2.Start} rows before the first row; use a lookback of at most {Splits.Train.End - Splits.Train.Start} or a longer series");
        for (int i = 0; i < horizons.Count; i++)
        {
            foreach (var (name, split) in splits)
            {
                if (split.Rows - Lookback - horizons[i] + 1 >= 1) continue;
                throw new JobOptionsException($"{keyPath}[{i}]",
                    $"horizon {horizons[i]} with lookback {Lookback} needs {Lookback + horizons[i]} rows in every split, but the {name} split of " +
                    $"{Frame.Source} ({Frame.RowCount} rows, {Splits.Protocol}) has {split.Rows}");
            }
        }
    }

    /// <summary>The windows of <paramref name="split"/> for horizon <paramref name="horizon"/>.</summary>
    /// <exception cref="DataFormatException">The split is shorter than lookback + horizon.</exception>
    public WindowSet Windows(SplitRange split, int horizon, string splitName)
    {
        int count = split.Rows - Lookback - horizon + 1;
        if (count < 1)
            throw new DataFormatException(Frame.Source,
                $"too few rows for lookback + horizon: the {splitName} split has {split.Rows} rows (from row {split.Start + 2}), lookback {Lookback} + horizon {horizon} needs {Lookback + horizon}");
        var x = new float[count * Lookback * InputColumns.Length];
        var y = new float[count * horizon * OutputColumns.Length];
        for (int w = 0; w < count; w++)
        {
            int start = split.Start + w;
            for (int t = 0; t < Lookback; t++)
                for (int c = 0; c < InputColumns.Length; c++)
                    x[(w * Lookback + t) * InputColumns.Length + c] = scaled[start + t, InputColumns[c]];
            for (int t = 0; t < horizon; t++)
                for (int c = 0; c < OutputColumns.Length; c++)
                    y[(w * horizon + t) * OutputColumns.Length + c] = scaled[start + Lookback + t, OutputColumns[c]];
        }
        return new WindowSet(tensor(x, [count, Lookback, InputColumns.Length]), tensor(y, [count, horizon, OutputColumns.Length]), split.Start);
    }

    /// <summary>The last <see cref="Lookback"/> rows, z-scored: [1, L, C_in].</summary>
    public Tensor LastWindow()
    {
        var x = new float[Lookback * InputColumns.Length];
        int start = Frame.RowCount - Lookback;
        if (start < 0) throw new DataFormatException(Frame.Source, $"too few rows for lookback: {Frame.RowCount} rows, lookback {Lookback}");
        for (int t = 0; t < Lookback; t++)
            for (int c = 0; c < InputColumns.Length; c++)
                x[t * InputColumns.Length + c] = scaled[start + t, InputColumns[c]];
        return tensor(x, [1, Lookback, InputColumns.Length]);
    }

    /// <summary>Maps z-scored outputs [.., H, C_out] back to the original units.</summary>
    public Tensor Unscale(Tensor outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var mean = tensor(OutputColumns.Select(c => (float)Scaler.Mean[c]).ToArray());
        var std = tensor(OutputColumns.Select(c => (float)Scaler.Std[c]).ToArray());
        return outputs * std + mean;
    }

    /// <summary>The seasonal period, checked against the lookback.</summary>
    public int CheckedPeriod(int period) => period <= Lookback ? period
        : throw new JobOptionsException("options.baselines.seasonalPeriod", $"{period} is longer than the lookback ({Lookback}); seasonal naive repeats the last period of the input");
}
