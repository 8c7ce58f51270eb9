using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;

namespace ArrowSeries;

/// <summary>
/// Reads an Arrow IPC file (the format of <c>pyarrow.ipc.new_file</c> and Feather v2) as a <see cref="SeriesFrame"/>:
/// the first column holds the time (timestamp, date, or ISO 8601 text), every other column numbers (floating point
/// or integer). Nulls become NaN, so the reading job's missing-value policy decides what happens to them.
/// </summary>
[DatasetReader("arrow", Extensions = [".arrow", ".feather"], Description = "Apache Arrow IPC file: time column, then numeric columns")]
public sealed class ArrowSeriesReader : IDatasetReader<SeriesFrame>
{
    /// <inheritdoc/>
    public Type DataType => typeof(SeriesFrame);

    /// <inheritdoc/>
    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        using var stream = File.OpenRead(path);
        ArrowFileReader reader;
        Schema schema;
        try
        {
            reader = new ArrowFileReader(stream);
            schema = reader.Schema;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new DataFormatException(path, $"not an Arrow IPC file ({e.Message})");
        }
        using (reader)
        {
            if (schema.FieldsList.Count < 2)
                throw new DataFormatException(path, $"{schema.FieldsList.Count} column(s); expected a time column and at least one value column");
            var names = schema.FieldsList.Skip(1).Select(f => f.Name).ToArray();
            var times = new List<DateTime>();
            var columns = names.Select(_ => new List<double>()).ToArray();
            for (var batch = reader.ReadNextRecordBatch(); batch is not null; batch = reader.ReadNextRecordBatch())
            {
                using (batch)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int first = times.Count;
                    for (int i = 0; i < batch.Length; i++)
                        times.Add(Time(batch.Column(0), i) ?? throw new DataFormatException(path, "no time", first + i + 1, schema.FieldsList[0].Name));
                    for (int c = 0; c < names.Length; c++)
                        AppendValues(path, names[c], batch.Column(c + 1), columns[c]);
                }
            }
            if (times.Count == 0) throw new DataFormatException(path, "no rows");
            return new SeriesFrame(path, times, names, [.. columns.Select(c => c.ToArray())]);
        }

        DateTime? Time(IArrowArray array, int index) => array switch
        {
            TimestampArray a => a.GetTimestamp(index)?.UtcDateTime,
            Date64Array a => a.GetDateTimeOffset(index)?.UtcDateTime,
            Date32Array a => a.GetDateTimeOffset(index)?.UtcDateTime,
            StringArray a when DateTime.TryParse(a.GetString(index), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t) => t,
            StringArray => null,
            _ => throw new DataFormatException(path, $"the first column must hold times (timestamp, date or ISO 8601 text), not {array.Data.DataType.Name}", column: schema.FieldsList[0].Name),
        };
    }

    private static void AppendValues(string path, string name, IArrowArray array, List<double> values)
    {
        for (int i = 0; i < array.Length; i++)
        {
            values.Add(array switch
            {
                DoubleArray a => a.GetValue(i) ?? double.NaN,
                FloatArray a => a.GetValue(i) ?? double.NaN,
                Int64Array a => a.GetValue(i) ?? double.NaN,
                Int32Array a => a.GetValue(i) ?? double.NaN,
                _ => throw new DataFormatException(path, $"expected numbers, found {array.Data.DataType.Name}", column: name),
            });
        }
    }
}
