using System.Globalization;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;

namespace MambaPlugin1;

/// <summary>
/// Reads tab-separated series: a header line (<c>time</c>, then column names), then one row per time step with an
/// ISO 8601 timestamp and numbers. Every job on the host can use it, this plugin's or another's.
/// </summary>
[DatasetReader("tsv", Extensions = [".tsv"], Description = "Tab-separated series: time column, then numeric columns")]
public sealed class TsvSeriesReader : IDatasetReader<SeriesFrame>
{
    /// <inheritdoc/>
    public Type DataType => typeof(SeriesFrame);

    /// <inheritdoc/>
    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine()?.Split('\t') ?? throw new DataFormatException(path, "empty file: expected a header line");
        if (header.Length < 2) throw new DataFormatException(path, "the header needs a time column and at least one value column", 1);
        var names = header[1..];
        var columns = names.Select(_ => new List<double>()).ToArray();
        var times = new List<DateTime>();
        int row = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            cancellation.ThrowIfCancellationRequested();
            row++;
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length != header.Length)
                throw new DataFormatException(path, $"{fields.Length} fields, the header has {header.Length}", row);
            if (!DateTime.TryParse(fields[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
                throw new DataFormatException(path, $"'{fields[0]}' is not a timestamp", row, header[0]);
            times.Add(time);
            for (int c = 0; c < names.Length; c++)
            {
                if (!double.TryParse(fields[c + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                    throw new DataFormatException(path, $"'{fields[c + 1]}' is not a finite number", row, names[c]);
                columns[c].Add(value);
            }
        }
        if (times.Count == 0) throw new DataFormatException(path, "no data rows after the header");
        return new SeriesFrame(path, times, names, [.. columns.Select(c => c.ToArray())]);
    }
}
