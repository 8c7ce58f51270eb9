using Mamba.Sdk.Jobs;
using Parquet;
using Parquet.Schema;

namespace Mamba.Sdk.Data;

/// <summary>A named column of a flat Parquet table: an array of double, float, int, long, bool, string or DateTime.</summary>
public sealed record ParquetColumn(string Name, Array Values);

/// <summary>Flat Parquet tables in and out, read whole or by a shard's share of row groups.</summary>
public static class ParquetTable
{
    private static readonly Type[] Supported = [typeof(double), typeof(float), typeof(int), typeof(long), typeof(bool), typeof(string), typeof(DateTime)];

    /// <summary>Writes <paramref name="columns"/> (equal lengths) in row groups of at most <paramref name="rowGroupSize"/> rows.</summary>
    public static async Task WriteAsync(Stream stream, IReadOnlyList<ParquetColumn> columns, int rowGroupSize = 1 << 20, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupSize, 1);
        if (columns.Count == 0) throw new ArgumentException("A table needs at least one column.", nameof(columns));
        int rows = columns[0].Values.Length;
        foreach (var column in columns)
        {
            var type = column.Values.GetType().GetElementType()!;
            if (!Supported.Contains(type)) throw new ArgumentException($"Column '{column.Name}' has unsupported element type {type.Name}.", nameof(columns));
            if (column.Values.Length != rows) throw new ArgumentException($"Column '{column.Name}' has {column.Values.Length} rows, expected {rows}.", nameof(columns));
        }
        var fields = columns.Select(c => new DataField(c.Name, c.Values.GetType().GetElementType()!, isNullable: false)).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream, cancellationToken: cancellation).ConfigureAwait(false);
        for (int start = 0; start < rows || (rows == 0 && start == 0); start += rowGroupSize)
        {
            int count = Math.Min(rowGroupSize, rows - start);
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < columns.Count; c++)
            {
                var slice = Array.CreateInstance(columns[c].Values.GetType().GetElementType()!, count);
                Array.Copy(columns[c].Values, start, slice, 0, count);
                await WriteColumnAsync(group, fields[c], slice, cancellation).ConfigureAwait(false);
            }
            if (rows == 0) break;
        }
    }

    /// <summary>Reads the row groups of <paramref name="path"/> that belong to <paramref name="shard"/> (all for a single shard).</summary>
    /// <exception cref="DataFormatException">The file is not a readable Parquet file.</exception>
    public static async Task<IReadOnlyList<ParquetColumn>> ReadAsync(string path, ShardSpec? shard = null, CancellationToken cancellation = default)
    {
        shard ??= ShardSpec.Whole;
        try
        {
            await using var file = File.OpenRead(path);
            await using var reader = await ParquetReader.CreateAsync(file, cancellationToken: cancellation).ConfigureAwait(false);
            var fields = reader.Schema.GetDataFields();
            var parts = fields.Select(_ => new List<Array>()).ToArray();
            foreach (int g in shard.Positions(reader.RowGroupCount))
            {
                using var group = reader.OpenRowGroupReader(g);
                for (int c = 0; c < fields.Length; c++)
                    parts[c].Add(await ReadColumnAsync(group, fields[c], checked((int)group.RowCount), cancellation).ConfigureAwait(false));
            }
            return fields.Select((f, c) => new ParquetColumn(f.Name, Concatenate(IsText(f) ? typeof(string) : f.ClrType, parts[c]))).ToList();
        }
        catch (Exception e) when (e is ParquetException or IOException or InvalidDataException or NotSupportedException)
        {
            throw new DataFormatException(path, $"not a readable Parquet file ({e.Message})", inner: e);
        }
    }

    private static async Task WriteColumnAsync(ParquetRowGroupWriter group, DataField field, Array values, CancellationToken cancellation)
    {
        switch (values)
        {
            case double[] a: await group.WriteAsync<double>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case float[] a: await group.WriteAsync<float>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case int[] a: await group.WriteAsync<int>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case long[] a: await group.WriteAsync<long>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case bool[] a: await group.WriteAsync<bool>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case DateTime[] a: await group.WriteAsync<DateTime>(field, a, null, null, cancellation).ConfigureAwait(false); break;
            case string[] a: await group.WriteAsync(field, a, null).ConfigureAwait(false); break;
            default: throw new ArgumentException($"Column '{field.Name}' has unsupported type {values.GetType().Name}.", nameof(values));
        }
    }

    private static async Task<Array> ReadColumnAsync(ParquetRowGroupReader group, DataField field, int rows, CancellationToken cancellation)
    {
        async Task<Array> Read<T>() where T : struct
        {
            var values = new T[rows];
            await group.ReadAsync<T>(field, values, null, cancellation).ConfigureAwait(false);
            return values;
        }
        if (IsText(field))
        {
            var values = new string[rows];
            await group.ReadAsync(field, values, null, cancellation).ConfigureAwait(false);
            return values;
        }
        return field.ClrType switch
        {
            var t when t == typeof(double) => await Read<double>().ConfigureAwait(false),
            var t when t == typeof(float) => await Read<float>().ConfigureAwait(false),
            var t when t == typeof(int) => await Read<int>().ConfigureAwait(false),
            var t when t == typeof(long) => await Read<long>().ConfigureAwait(false),
            var t when t == typeof(bool) => await Read<bool>().ConfigureAwait(false),
            var t when t == typeof(DateTime) => await Read<DateTime>().ConfigureAwait(false),
            var t => throw new NotSupportedException($"column '{field.Name}' has type {t.Name}; supported: {string.Join(", ", Supported.Select(s => s.Name))}"),
        };
    }

    /// <summary>Parquet.Net reports a file's string columns as <see cref="ReadOnlyMemory{T}"/> of char; they read as strings.</summary>
    private static bool IsText(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static Array Concatenate(Type type, List<Array> parts)
    {
        var result = Array.CreateInstance(type, parts.Sum(p => p.Length));
        int offset = 0;
        foreach (var part in parts)
        {
            Array.Copy(part, 0, result, offset, part.Length);
            offset += part.Length;
        }
        return result;
    }
}
