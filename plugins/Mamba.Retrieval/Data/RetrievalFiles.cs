using System.Globalization;
using System.Text.Json;
using Mamba.Sdk.Data;

namespace Mamba.Retrieval.Data;

/// <summary>Which fields of a JSONL or Parquet corpus hold the id, the title and the text.</summary>
public sealed record CorpusFields(string Id = "id", string Title = "title", string Text = "text");

/// <summary>
/// Readers for corpora (JSONL, Parquet, a folder of <c>.txt</c> files), query files (JSONL <c>{id, text}</c> or TSV
/// <c>id⇥text</c>) and relevance judgments (TREC qrels <c>query 0 passage grade</c> or JSONL
/// <c>{query, passage, relevance}</c>). Every error names the file, and the row where there is one.
/// </summary>
public static class RetrievalFiles
{
    /// <summary>A corpus from <paramref name="path"/>: <c>.jsonl</c>, <c>.parquet</c> or a folder (one passage per <c>.txt</c> file, id = relative path without extension).</summary>
    public static async Task<Corpus> ReadCorpusAsync(string path, CorpusFields fields, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(fields);
        List<(Passage Passage, long Row)> rows;
        if (Directory.Exists(path)) rows = ReadFolder(path);
        else if (!File.Exists(path)) throw new DataFormatException(path, "no such file or folder");
        else if (path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase)) rows = await ReadParquetCorpusAsync(path, fields, cancellation);
        else rows = [.. ReadJsonLines(path).Select(r => (new Passage(r.String(fields.Id, required: true), r.String(fields.Title, required: false), r.String(fields.Text, required: true)), r.Row))];
        if (rows.Count == 0) throw new DataFormatException(path, "the corpus has no passages");
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (passage, row) in rows)
        {
            if (passage.Id.Length == 0) throw new DataFormatException(path, "empty passage id", row, fields.Id);
            if (!seen.TryAdd(passage.Id, row)) throw new DataFormatException(path, $"duplicate passage id '{passage.Id}' (first at row {seen[passage.Id]})", row, fields.Id);
        }
        return new Corpus(path, [.. rows.Select(r => r.Passage)]);
    }

    /// <summary>Queries from JSONL (<c>id</c>, <c>text</c>) or TSV (<c>id⇥text</c>, no header); ids must be unique.</summary>
    public static List<Query> ReadQueries(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        var queries = new List<(Query Query, long Row)>();
        if (path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase))
        {
            long row = 0;
            foreach (string line in File.ReadLines(path))
            {
                row++;
                if (line.Length == 0) continue;
                int tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab <= 0) throw new DataFormatException(path, "expected 'id<TAB>text'", row);
                queries.Add((new Query(line[..tab], line[(tab + 1)..]), row));
            }
        }
        else queries.AddRange(ReadJsonLines(path).Select(r => (new Query(r.String("id", required: true), r.String("text", required: true)), r.Row)));
        if (queries.Count == 0) throw new DataFormatException(path, "the query file has no queries");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (query, row) in queries)
            if (!seen.Add(query.Id)) throw new DataFormatException(path, $"duplicate query id '{query.Id}'", row, "id");
        return [.. queries.Select(q => q.Query)];
    }

    /// <summary>
    /// Judgments from TREC qrels (whitespace-separated <c>query iteration passage grade</c>) or JSONL
    /// (<c>query</c>, <c>passage</c>, optional <c>relevance</c>, default 1), checked against the queries and the corpus.
    /// </summary>
    public static List<Judgment> ReadJudgments(string path, IReadOnlyCollection<Query> queries, Corpus corpus)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(corpus);
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        var rows = new List<(Judgment Judgment, long Row)>();
        if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            rows.AddRange(ReadJsonLines(path).Select(r => (new Judgment(r.String("query", required: true), r.String("passage", required: true), r.Int("relevance", 1)), r.Row)));
        else
        {
            long row = 0;
            foreach (string line in File.ReadLines(path))
            {
                row++;
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                if (parts.Length != 4 || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out int grade))
                    throw new DataFormatException(path, "expected a TREC qrels line 'query iteration passage grade'", row);
                rows.Add((new Judgment(parts[0], parts[2], grade), row));
            }
        }
        var queryIds = queries.Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (judgment, row) in rows)
        {
            if (!queryIds.Contains(judgment.QueryId)) throw new DataFormatException(path, $"query id '{judgment.QueryId}' is not in the query file", row, "query");
            if (!corpus.Contains(judgment.PassageId)) throw new DataFormatException(path, $"passage id '{judgment.PassageId}' is not in the corpus {corpus.Source}", row, "passage");
        }
        if (!rows.Any(r => r.Judgment.Relevance > 0)) throw new DataFormatException(path, "no judgment marks a passage relevant");
        return [.. rows.Select(r => r.Judgment)];
    }

    /// <summary>
    /// Paragraphs (JSONL) with the value of <paramref name="groupField"/> that keeps related paragraphs together (the
    /// paragraph's id where the field is absent).
    /// </summary>
    public static List<(Passage Paragraph, string Group)> ReadGroupedParagraphs(string path, CorpusFields fields, string groupField)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        // A paragraph without the group field is a group of its own.
        var rows = ReadJsonLines(path).Select(r =>
        {
            string id = r.String(fields.Id, required: true);
            return (new Passage(id, "", r.String(fields.Text, required: true)), r.String(groupField, required: false) is { Length: > 0 } group ? group : id, r.Row);
        }).ToList();
        if (rows.Count == 0) throw new DataFormatException(path, "no paragraphs");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (paragraph, _, row) in rows)
            if (!seen.Add(paragraph.Id)) throw new DataFormatException(path, $"duplicate paragraph id '{paragraph.Id}'", row, fields.Id);
        return [.. rows.Select(r => (r.Item1, r.Item2))];
    }

    private static List<(Passage, long)> ReadFolder(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        return [.. files.Select((file, i) =>
        {
            string id = Path.ChangeExtension(Path.GetRelativePath(folder, file), null).Replace('\\', '/');
            return (new Passage(id, "", File.ReadAllText(file)), (long)i + 1);
        })];
    }

    private static async Task<List<(Passage, long)>> ReadParquetCorpusAsync(string path, CorpusFields fields, CancellationToken cancellation)
    {
        var columns = await ParquetTable.ReadAsync(path, cancellation: cancellation);
        Array Column(string name, bool required) => columns.FirstOrDefault(c => c.Name == name)?.Values
            ?? (required ? throw new DataFormatException(path, $"no column '{name}' (has {string.Join(", ", columns.Select(c => c.Name))})", column: name) : Array.Empty<string>());
        Array ids = Column(fields.Id, true), texts = Column(fields.Text, true), titles = Column(fields.Title, false);
        return [.. Enumerable.Range(0, ids.Length).Select(i => (new Passage(
            Convert.ToString(ids.GetValue(i), CultureInfo.InvariantCulture) ?? throw new DataFormatException(path, "missing id", i + 1, fields.Id),
            titles.Length > 0 ? Convert.ToString(titles.GetValue(i), CultureInfo.InvariantCulture) ?? "" : "",
            Convert.ToString(texts.GetValue(i), CultureInfo.InvariantCulture) ?? throw new DataFormatException(path, "missing text", i + 1, fields.Text)), (long)i + 1))];
    }

    /// <summary>One JSON object per non-empty line, with its 1-based row.</summary>
    internal static IEnumerable<JsonRow> ReadJsonLines(string path)
    {
        long row = 0;
        foreach (string line in File.ReadLines(path))
        {
            row++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement element;
            try
            {
                using var document = JsonDocument.Parse(line);
                element = document.RootElement.Clone();
            }
            catch (JsonException error) { throw new DataFormatException(path, $"not a JSON object: {error.Message}", row, inner: error); }
            if (element.ValueKind != JsonValueKind.Object) throw new DataFormatException(path, "expected a JSON object", row);
            yield return new JsonRow(path, row, element);
        }
    }

    internal readonly record struct JsonRow(string Path, long Row, JsonElement Element)
    {
        public string String(string name, bool required)
        {
            if (!Element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                return required ? throw new DataFormatException(Path, $"missing field '{name}'", Row, name) : "";
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                _ => throw new DataFormatException(Path, $"field '{name}' must be a string", Row, name),
            };
        }

        public int Int(string name, int absent)
        {
            if (!Element.TryGetProperty(name, out var value)) return absent;
            return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : throw new DataFormatException(Path, $"field '{name}' must be an integer", Row, name);
        }
    }
}
