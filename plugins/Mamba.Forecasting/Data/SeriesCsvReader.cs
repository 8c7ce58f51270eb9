using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;

namespace Mamba.Forecasting.Data;

/// <summary>
/// How a series CSV is laid out: the delimiter (detected from the header when null), the name of the time column
/// (every other column is a numeric variate), the time format (common ISO and US forms when null) and the decimal
/// separator.
/// </summary>
public sealed record SeriesCsvLayout(string? Delimiter = null, string TimeColumn = "date", string? TimeFormat = null, string DecimalSeparator = ".")
{
    /// <summary>Time-Series-Library files: comma (or whatever the header shows), <c>date</c>, ISO times, decimal point.</summary>
    public static SeriesCsvLayout Default { get; } = new();

    /// <summary>The delimiters tried when none is given, in order of preference on a tie.</summary>
    public static IReadOnlyList<string> DetectedDelimiters { get; } = [",", ";", "\t"];
}

/// <summary>
/// Reads a series CSV through CsvHelper (quoted fields, embedded delimiters): a header row naming the time column and
/// one numeric column per variate. Empty cells and <c>NaN</c>/<c>NA</c> become NaN (missing; see
/// <see cref="MissingValues"/>); anything else that is not a number is an error naming the row and column.
/// </summary>
[DatasetReader("csv", Extensions = [".csv"], Description = "Series CSV: a time column, then numeric variates (delimiter detected)")]
public sealed class SeriesCsvReader(SeriesCsvLayout layout) : IDatasetReader<SeriesFrame>
{
    private static readonly string[] TimeFormats =
        ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm",
         "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd HH:mm", "yyyy/MM/dd", "M/d/yyyy H:mm:ss", "M/d/yyyy H:mm", "M/d/yyyy"];

    /// <summary>A reader of Time-Series-Library files (the layout <see cref="SeriesCsvLayout.Default"/>).</summary>
    public SeriesCsvReader()
        : this(SeriesCsvLayout.Default)
    {
    }

    /// <inheritdoc/>
    public Type DataType => typeof(SeriesFrame);

    /// <inheritdoc/>
    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        string delimiter = layout.Delimiter ?? DetectDelimiter(path);
        if (delimiter == layout.DecimalSeparator)
            throw new DataFormatException(path, $"the header splits on '{delimiter}', which is also the decimal separator; set data.delimiter", 1);
        var number = new NumberFormatInfo { NumberDecimalSeparator = layout.DecimalSeparator, NumberGroupSeparator = "" };
        using var reader = new StreamReader(path);
        using var csv = new CsvParser(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { Delimiter = delimiter });
        try
        {
            if (!csv.Read()) throw new DataFormatException(path, $"the file is empty; expected a header row naming the time column '{layout.TimeColumn}'", 1);
            var names = csv.Record!.Select(n => n.Trim()).ToArray();
            int time = Array.FindIndex(names, n => string.Equals(n, layout.TimeColumn, StringComparison.OrdinalIgnoreCase));
            if (time < 0)
                throw new DataFormatException(path,
                    $"no time column '{layout.TimeColumn}' in the header (columns: {string.Join(", ", names)}; delimiter {Describe(delimiter)}); " +
                    "set data.timeColumn, or data.delimiter if the columns are not split as they should be", 1);
            if (names.Length < 2) throw new DataFormatException(path, $"no variate columns beside '{names[time]}'", 1);
            if (Array.FindIndex(names, n => n.Length == 0) is var unnamed and >= 0)
                throw new DataFormatException(path, $"column {unnamed + 1} of the header has no name", 1);
            if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
                throw new DataFormatException(path, $"the header names '{repeated.Key}' {repeated.Count()} times; each column needs its own name", 1, repeated.Key);

            int[] variates = [.. Enumerable.Range(0, names.Length).Where(c => c != time)];
            var timestamps = new List<DateTime>();
            var columns = variates.Select(_ => new List<double>()).ToArray();
            while (csv.Read())
            {
                long row = csv.Row;
                if ((row & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                var cells = csv.Record!;
                if (cells.Length == 1 && cells[0].Length == 0) continue;
                if (cells.Length != names.Length)
                    throw new DataFormatException(path, $"{cells.Length} fields, the header has {names.Length} (delimiter {Describe(delimiter)})", row);
                var stamp = ParseTime(cells[time].Trim(), path, row, names[time]);
                if (timestamps.Count > 0 && stamp <= timestamps[^1])
                    throw new DataFormatException(path,
                        $"{cells[time].Trim()} does not come after the previous row's {timestamps[^1]:yyyy-MM-dd HH:mm:ss}; rows must be in time order without repeats", row, names[time]);
                timestamps.Add(stamp);
                for (int v = 0; v < variates.Length; v++)
                    columns[v].Add(ParseCell(cells[variates[v]], number, path, row, names[variates[v]]));
            }
            if (timestamps.Count == 0) throw new DataFormatException(path, "no data rows after the header", 2);
            return new SeriesFrame(path, timestamps, [.. variates.Select(c => names[c])], [.. columns.Select(c => c.ToArray())]);
        }
        catch (CsvHelperException e)
        {
            throw new DataFormatException(path, e.Message.Split('\n')[0], e.Context?.Parser?.Row);
        }
    }

    /// <summary>The candidate delimiter that occurs most often in the header line (outside quotes); a comma on a tie.</summary>
    private static string DetectDelimiter(string path)
    {
        string header;
        using (var reader = new StreamReader(path)) header = reader.ReadLine() ?? "";
        var counts = SeriesCsvLayout.DetectedDelimiters.ToDictionary(d => d, _ => 0);
        bool quoted = false;
        foreach (char c in header)
        {
            if (c == '"') quoted = !quoted;
            else if (!quoted && counts.ContainsKey(c.ToString())) counts[c.ToString()]++;
        }
        return SeriesCsvLayout.DetectedDelimiters.MaxBy(d => counts[d])!;
    }

    private DateTime ParseTime(string text, string path, long row, string column)
    {
        const DateTimeStyles Styles = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        if (layout.TimeFormat is { } format)
        {
            return DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, Styles, out var exact) ? exact
                : throw new DataFormatException(path, $"'{text}' does not match data.timeFormat '{format}'", row, column);
        }
        return DateTime.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, Styles, out var time) ? time
            : throw new DataFormatException(path, $"'{text}' is not a time in a known form (e.g. 2016-07-01 00:00:00); set data.timeFormat (e.g. dd.MM.yyyy HH:mm)", row, column);
    }

    private static double ParseCell(string cell, NumberFormatInfo number, string path, long row, string column)
    {
        string text = cell.Trim();
        if (text.Length == 0 || text is "NaN" or "nan" or "NA" or "N/A" or "null") return double.NaN;
        if (double.TryParse(text, NumberStyles.Float, number, out double value) && double.IsFinite(value)) return value;
        throw new DataFormatException(path, $"'{text}' is not a number", row, column);
    }

    private static string Describe(string delimiter) => delimiter == "\t" ? "tab" : $"'{delimiter}'";
}
