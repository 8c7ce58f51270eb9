namespace Mamba.Sdk.Data;

/// <summary>
/// A multivariate time series as readers hand it to jobs: one timestamp per row and named numeric columns of equal
/// length (NaN where a value is missing). The exchange type between series readers (CSV, Parquet, a third party's
/// format) and the tasks that consume them.
/// </summary>
public sealed class SeriesFrame
{
    /// <summary>A frame over <paramref name="timestamps"/> with <paramref name="columns"/> in order.</summary>
    public SeriesFrame(string source, IReadOnlyList<DateTime> timestamps, IReadOnlyList<string> names, IReadOnlyList<double[]> columns)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(columns);
        if (names.Count != columns.Count) throw new ArgumentException($"{names.Count} column names for {columns.Count} columns.", nameof(names));
        for (int c = 0; c < columns.Count; c++)
            if (columns[c].Length != timestamps.Count)
                throw new ArgumentException($"Column '{names[c]}' has {columns[c].Length} values for {timestamps.Count} timestamps.", nameof(columns));
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new ArgumentException("Column names must be unique.", nameof(names));
        Source = source;
        Timestamps = timestamps;
        Names = names;
        Columns = columns;
    }

    /// <summary>Where the frame was read from, for error messages.</summary>
    public string Source { get; }

    /// <summary>One timestamp per row, ascending.</summary>
    public IReadOnlyList<DateTime> Timestamps { get; }

    /// <summary>Column names in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Column values, <c>Columns[c][row]</c>.</summary>
    public IReadOnlyList<double[]> Columns { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Timestamps.Count;

    /// <summary>The index of column <paramref name="name"/>.</summary>
    /// <exception cref="DataFormatException">No such column.</exception>
    public int IndexOf(string name)
    {
        for (int c = 0; c < Names.Count; c++)
            if (string.Equals(Names[c], name, StringComparison.Ordinal)) return c;
        throw new DataFormatException(Source, $"no column named '{name}' (columns: {string.Join(", ", Names)})");
    }
}
