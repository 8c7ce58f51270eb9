using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Mamba.Sdk.Data;

namespace Mamba.Graphs.Data;

/// <summary>Reads a graph from an edge list and a node table, each CSV (with a header) or Parquet.</summary>
public static class GraphFiles
{
    private static readonly string[] SplitNames = ["train", "val", "test"];
    private static readonly char[] FieldSeparators = [',', '\t', ' '];

    /// <summary>Reads, checks and indexes the graph; errors name the file, row and column.</summary>
    public static async Task<Graph> ReadAsync(string edgesPath, string nodesPath, GraphDataOptions options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(options);
        var nodes = await ReadTableAsync(nodesPath, cancellation);
        var edges = options.Header ? await ReadTableAsync(edgesPath, cancellation) : ReadHeaderless(edgesPath, options, cancellation);
        if (nodes.Rows.Count == 0) throw new DataFormatException(nodesPath, "no nodes");

        int idColumn = nodes.Column(options.IdColumn);
        int labelColumn = nodes.Column(options.LabelColumn);
        int splitColumn = options.SplitColumn is { } split ? nodes.Column(split) : -1;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < nodes.Rows.Count; r++)
        {
            string id = nodes.Rows[r][idColumn];
            if (id.Length == 0) throw new DataFormatException(nodesPath, "empty node id", r + 2, options.IdColumn);
            if (!index.TryAdd(id, r))
                throw new DataFormatException(nodesPath, $"duplicate node id '{id}' (first at row {index[id] + 2})", r + 2, options.IdColumn);
        }
        var labelTexts = nodes.Rows.Select(row => row[labelColumn]).ToArray();
        var classes = labelTexts.Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).Order(ClassOrder.Instance).ToArray();
        if (classes.Length < 2) throw new DataFormatException(nodesPath, $"{classes.Length} distinct label(s); node classification needs at least 2", column: options.LabelColumn);
        var classIndex = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var labels = labelTexts.Select(l => l.Length == 0 ? -1 : classIndex[l]).ToArray();
        string[]? splits = null;
        if (splitColumn >= 0)
        {
            splits = new string[nodes.Rows.Count];
            for (int r = 0; r < splits.Length; r++)
            {
                splits[r] = nodes.Rows[r][splitColumn].ToLowerInvariant();
                if (!SplitNames.Contains(splits[r]))
                    throw new DataFormatException(nodesPath, $"'{nodes.Rows[r][splitColumn]}' is not a split (train, val, test)", r + 2, options.SplitColumn);
                if (splits[r] != "test" && labels[r] < 0)
                    throw new DataFormatException(nodesPath, $"node '{nodes.Rows[r][idColumn]}' is in '{splits[r]}' but has no label", r + 2, options.LabelColumn);
            }
        }

        const string EdgeHint = "; name the edge list's columns with data.sourceColumn and data.targetColumn, or set data.header to false for a list without a header";
        int sourceColumn = edges.Column(options.SourceColumn, EdgeHint), targetColumn = edges.Column(options.TargetColumn, EdgeHint);
        int weightColumn = edges.Names.IndexOf("weight");
        var list = new List<(int, int, float)>(edges.Rows.Count);
        for (int r = 0; r < edges.Rows.Count; r++)
        {
            var row = edges.Rows[r];
            int s = index.TryGetValue(row[sourceColumn], out int si) ? si : throw new DataFormatException(edgesPath, $"unknown node id '{row[sourceColumn]}' (not in {nodesPath})", edges.RowNumber(r), options.SourceColumn);
            int t = index.TryGetValue(row[targetColumn], out int ti) ? ti : throw new DataFormatException(edgesPath, $"unknown node id '{row[targetColumn]}' (not in {nodesPath})", edges.RowNumber(r), options.TargetColumn);
            float w = 1;
            if (weightColumn >= 0 && (!float.TryParse(row[weightColumn], NumberStyles.Float, CultureInfo.InvariantCulture, out w) || !float.IsFinite(w) || w <= 0))
                throw new DataFormatException(edgesPath, $"'{row[weightColumn]}' is not a positive finite weight", edges.RowNumber(r), "weight");
            list.Add((s, t, w));
        }
        var attributes = Attributes(nodes, options, [idColumn, labelColumn, splitColumn]);
        var graph = Graph.FromEdges($"{edgesPath} + {nodesPath}", [.. nodes.Rows.Select(row => row[idColumn])], labels, classes, splits, list, options.Directed, attributes);
        return options.LargestComponent ? graph.Induced(graph.LargestComponent()) : graph;
    }

    /// <summary>The node table's feature columns, every cell a finite number; null when the job names none.</summary>
    private static NodeAttributes? Attributes(Table nodes, GraphDataOptions options, int[] reserved)
    {
        if (options.FeatureColumns.Length == 0) return null;
        bool all = options.FeatureColumns is ["*"];
        var chosen = all
            ? [.. Enumerable.Range(0, nodes.Names.Count).Where(c => !reserved.Contains(c) && nodes.Rows.All(row => Number(row[c]) is not null))]
            : options.FeatureColumns.Select(name => nodes.Column(name)).ToArray();
        if (chosen.Length == 0)
            throw new DataFormatException(nodes.Path, $"featureColumns [\"*\"] found no column other than id, label and split whose every cell is a number (columns: {string.Join(", ", nodes.Names)})");
        foreach (int c in chosen.Where(reserved.Contains))
            throw new DataFormatException(nodes.Path, $"'{nodes.Names[c]}' is the id, label or split column and cannot be a node feature", column: nodes.Names[c]);
        var values = new double[nodes.Rows.Count * chosen.Length];
        for (int r = 0; r < nodes.Rows.Count; r++)
            for (int f = 0; f < chosen.Length; f++)
            {
                string cell = nodes.Rows[r][chosen[f]];
                values[r * chosen.Length + f] = Number(cell)
                    ?? throw new DataFormatException(nodes.Path, cell.Length == 0 ? "missing feature value; every node needs one" : $"'{cell}' is not a finite number", nodes.RowNumber(r), nodes.Names[chosen[f]]);
            }
        return new NodeAttributes([.. chosen.Select(c => nodes.Names[c])], values);
    }

    private static double? Number(string cell) =>
        double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : null;

    /// <summary>A table read whole; <see cref="Lines"/> holds each row's line in the file where that is not row + 2.</summary>
    private sealed record Table(string Path, List<string> Names, List<string[]> Rows, List<long>? Lines = null)
    {
        public int Column(string name, string hint = "")
        {
            int i = Names.IndexOf(name);
            return i >= 0 ? i : throw new DataFormatException(Path, $"no column '{name}' (columns: {string.Join(", ", Names)}){hint}");
        }

        public long RowNumber(int row) => Lines?[row] ?? row + 2;
    }

    /// <summary>A headerless text edge list: source and target are each line's first two fields.</summary>
    private static Table ReadHeaderless(string path, GraphDataOptions options, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        if (Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase))
            throw new DataFormatException(path, "header: false is for text edge lists; a Parquet file always names its columns");
        var rows = new List<string[]>();
        var lines = new List<long>();
        long number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if ((number & 4095) == 0) cancellation.ThrowIfCancellationRequested();
            string text = line.Trim();
            if (text.Length == 0 || text[0] is '#' or '%') continue;
            var fields = text.Split(FieldSeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length < 2)
                throw new DataFormatException(path, $"'{text}' has {fields.Length} field; a headerless edge list needs a source and a target on each line", number);
            rows.Add([fields[0], fields[1]]);
            lines.Add(number);
        }
        return new Table(path, [options.SourceColumn, options.TargetColumn], rows, lines);
    }

    private static async Task<Table> ReadTableAsync(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        return Path.GetExtension(path).Equals(".parquet", StringComparison.OrdinalIgnoreCase)
            ? await ReadParquetAsync(path, cancellation)
            : ReadCsv(path, cancellation);
    }

    private static Table ReadCsv(string path, CancellationToken cancellation)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvParser(reader, new CsvConfiguration(CultureInfo.InvariantCulture));
        try
        {
            if (!csv.Read()) throw new DataFormatException(path, "empty file: expected a header");
            var names = csv.Record!.Select(n => n.Trim()).ToList();
            if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
                throw new DataFormatException(path, $"the header names '{repeated.Key}' {repeated.Count()} times; each column needs its own name", 1, repeated.Key);
            var rows = new List<string[]>();
            while (csv.Read())
            {
                cancellation.ThrowIfCancellationRequested();
                // The parser hands over rows of any width; a short or long row would otherwise be read by index.
                if (csv.Record!.Length != names.Count)
                    throw new DataFormatException(path, $"{csv.Record.Length} fields, the header has {names.Count} ({string.Join(", ", names)})", csv.Row);
                rows.Add([.. csv.Record.Select(v => v.Trim())]);
            }
            return new Table(path, names, rows);
        }
        catch (CsvHelperException e)
        {
            throw new DataFormatException(path, e.Message.Split('\n')[0], e.Context?.Parser?.Row);
        }
    }

    private static async Task<Table> ReadParquetAsync(string path, CancellationToken cancellation)
    {
        IReadOnlyList<ParquetColumn> columns;
        try
        {
            columns = await ParquetTable.ReadAsync(path, cancellation: cancellation);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new DataFormatException(path, $"not a readable Parquet file ({e.Message})");
        }
        int count = columns.Count == 0 ? 0 : columns[0].Values.Length;
        var rows = Enumerable.Range(0, count).Select(r => columns.Select(c => Convert.ToString(c.Values.GetValue(r), CultureInfo.InvariantCulture) ?? "").ToArray()).ToList();
        return new Table(path, [.. columns.Select(c => c.Name)], rows);
    }

    /// <summary>Numeric labels in numeric order (so "10" follows "9"), others ordinally.</summary>
    private sealed class ClassOrder : IComparer<string>
    {
        public static readonly ClassOrder Instance = new();

        public int Compare(string? x, string? y) =>
            double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out double a) && double.TryParse(y, NumberStyles.Float, CultureInfo.InvariantCulture, out double b)
                ? a.CompareTo(b)
                : string.CompareOrdinal(x, y);
    }
}
