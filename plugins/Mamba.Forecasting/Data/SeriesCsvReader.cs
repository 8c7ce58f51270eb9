using System.Globalization;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;

namespace Mamba.Forecasting.Data;

/// <summary>
/// Reads Time-Series-Library CSVs: a header row, <c>date</c> first, then one numeric column per variate. Empty cells
/// and <c>NaN</c>/<c>NA</c> become NaN (missing; see <see cref="MissingValues"/>); anything else that is not a number
/// is an error naming the row and column.
/// </summary>
[DatasetReader("csv", Extensions = [".csv"], Description = "Time-Series-Library CSV: date, then numeric variates")]
public sealed class SeriesCsvReader : IDatasetReader<SeriesFrame>
{
    private static readonly string[] DateFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy/MM/dd HH:mm", "yyyy/MM/dd", "M/d/yyyy H:mm", "M/d/yyyy"];

    /// <inheritdoc/>
    public Type DataType => typeof(SeriesFrame);

    /// <inheritdoc/>
    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(header)) throw new DataFormatException(path, "the file is empty; expected a header row starting with 'date'", 1);
        var names = header.Split(',').Select(n => n.Trim().Trim('"')).ToArray();
        if (!string.Equals(names[0], "date", StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, $"missing the date column: the first column must be 'date' (found '{names[0]}')", 1, names[0]);
        if (names.Length < 2) throw new DataFormatException(path, "no variate columns after 'date'", 1);
        if (names.FirstOrDefault(n => n.Length == 0) is not null)
            throw new DataFormatException(path, $"column {Array.IndexOf(names, "") + 1} of the header has no name", 1);
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw new DataFormatException(path, $"the header names '{repeated.Key}' {repeated.Count()} times; each column needs its own name", 1, repeated.Key);

        var timestamps = new List<DateTime>();
        var columns = Enumerable.Range(1, names.Length - 1).Select(_ => new List<double>()).ToArray();
        long row = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            row++;
            if ((row & 1023) == 0) cancellation.ThrowIfCancellationRequested();
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != names.Length)
                throw new DataFormatException(path, $"{cells.Length} fields, the header has {names.Length}", row);
            string date = cells[0].Trim().Trim('"');
            if (!DateTime.TryParseExact(date, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
                throw new DataFormatException(path, $"'{date}' is not a date (expected e.g. 2016-07-01 00:00:00)", row, names[0]);
            if (timestamps.Count > 0 && time <= timestamps[^1])
                throw new DataFormatException(path, $"{date} does not come after the previous row's {timestamps[^1]:yyyy-MM-dd HH:mm:ss}; rows must be in time order without repeats", row, names[0]);
            timestamps.Add(time);
            for (int c = 1; c < cells.Length; c++)
                columns[c - 1].Add(ParseCell(cells[c], path, row, names[c]));
        }
        if (timestamps.Count == 0) throw new DataFormatException(path, "no data rows after the header", 2);
        return new SeriesFrame(path, timestamps, names[1..], columns.Select(c => c.ToArray()).ToList());
    }

    private static double ParseCell(string cell, string path, long row, string column)
    {
        string text = cell.Trim().Trim('"');
        if (text.Length == 0 || text is "NaN" or "nan" or "NA" or "N/A" or "null") return double.NaN;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)) return value;
        throw new DataFormatException(path, $"'{text}' is not a number", row, column);
    }
}
