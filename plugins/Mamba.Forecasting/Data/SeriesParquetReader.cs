using System.Globalization;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;

namespace Mamba.Forecasting.Data;

/// <summary>
/// Reads a flat Parquet table with one row per time step: a time column (timestamp, or ISO text; <c>date</c> unless
/// the job names another) and numeric variate columns (double, float, int or long).
/// </summary>
[DatasetReader("parquet", Extensions = [".parquet"], Description = "Parquet, one row per time step: a time column, then numeric variates")]
public sealed class SeriesParquetReader(string timeColumn) : IDatasetReader<SeriesFrame>
{
    /// <summary>A reader whose time column is <c>date</c>.</summary>
    public SeriesParquetReader()
        : this("date")
    {
    }

    /// <inheritdoc/>
    public Type DataType => typeof(SeriesFrame);

    /// <inheritdoc/>
    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        var table = ParquetTable.ReadAsync(path, cancellation: cancellation).GetAwaiter().GetResult();
        var date = table.FirstOrDefault(c => string.Equals(c.Name, timeColumn, StringComparison.OrdinalIgnoreCase))
            ?? throw new DataFormatException(path, $"no time column '{timeColumn}' (columns: {string.Join(", ", table.Select(c => c.Name))}); set data.timeColumn");
        var timestamps = date.Values switch
        {
            DateTime[] times => times.Select(t => DateTime.SpecifyKind(t, DateTimeKind.Utc)).ToArray(),
            string[] texts => texts.Select((t, i) => DateTime.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var v)
                ? v : throw new DataFormatException(path, $"'{t}' is not a date", i + 1, date.Name)).ToArray(),
            var other => throw new DataFormatException(path, $"the time column holds {other.GetType().GetElementType()!.Name}, expected timestamps or text", column: date.Name),
        };
        for (int i = 1; i < timestamps.Length; i++)
            if (timestamps[i] <= timestamps[i - 1])
                throw new DataFormatException(path, "rows must be in time order without repeats", i + 1, date.Name);

        var variates = table.Where(c => c != date).ToList();
        if (variates.Count == 0) throw new DataFormatException(path, $"no variate columns besides '{date.Name}'");
        var columns = variates.Select(c => c.Values switch
        {
            double[] d => d,
            float[] f => f.Select(v => (double)v).ToArray(),
            int[] n => n.Select(v => (double)v).ToArray(),
            long[] n => n.Select(v => (double)v).ToArray(),
            var other => throw new DataFormatException(path, $"holds {other.GetType().GetElementType()!.Name}, expected numbers", column: c.Name),
        }).ToList();
        return new SeriesFrame(path, timestamps, variates.Select(c => c.Name).ToList(), columns);
    }
}
