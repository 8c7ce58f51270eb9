using System.Text;
using System.Text.RegularExpressions;
using Mamba.Sdk.Data;

namespace Mamba.Retrieval.Data;

/// <summary>
/// A plain-text FAQ with numbered sections (the Debian FAQ's text rendering): a heading <c>1.2. What is …?</c> at the
/// start of a line, possibly wrapped onto further unindented lines, then its indented answer. Every section becomes a
/// passage (id = its number, text = the answer without the heading); every heading that asks a question (ends in
/// <c>?</c>) becomes a query whose one relevant passage is its own answer. The table of contents is skipped (the
/// body starts at <c>Chapter 1.</c>). Plain or gzip, recognised by content.
/// </summary>
public static partial class FaqText
{
    [GeneratedRegex(@"^(\d+(?:\.\d+)+)\.\s+(\S.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^Chapter\s+\d+\.")]
    private static partial Regex Chapter();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>The FAQ at <paramref name="path"/> as a retrieval set.</summary>
    public static RetrievalSet Read(string path, string name)
    {
        var lines = ReadLines(path);
        int body = lines.FindIndex(l => Chapter().IsMatch(l));
        if (body < 0) throw new DataFormatException(path, "no 'Chapter 1.' line: not a FAQ text with numbered chapters");
        var sections = new List<(string Number, string Heading, StringBuilder Answer)>();
        bool inHeading = false;
        for (int i = body; i < lines.Count; i++)
        {
            string line = lines[i];
            if (Chapter().IsMatch(line)) { inHeading = false; continue; }
            var match = Heading().Match(line);
            if (match.Success)
            {
                sections.Add((match.Groups[1].Value, match.Groups[2].Value.Trim(), new StringBuilder()));
                inHeading = true;
                continue;
            }
            if (sections.Count == 0) continue;
            var current = sections[^1];
            bool indented = line.Length > 0 && char.IsWhiteSpace(line[0]);
            if (inHeading && line.Length > 0 && !indented)
            {
                sections[^1] = (current.Number, current.Heading + " " + line.Trim(), current.Answer);
                continue;
            }
            inHeading = false;
            current.Answer.AppendLine(line.Trim());
        }
        var passages = sections
            .Select(s => new Passage(s.Number, "", Whitespace().Replace(s.Answer.ToString(), " ").Trim()))
            .Where(p => p.Text.Length > 0)
            .ToList();
        if (passages.Count == 0) throw new DataFormatException(path, "no numbered sections with text");
        var answered = passages.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var queries = sections.Where(s => s.Heading.EndsWith('?') && answered.Contains(s.Number)).Select(s => new Query("q" + s.Number, Whitespace().Replace(s.Heading, " "))).ToList();
        var judgments = queries.Select(q => new Judgment(q.Id, q.Id[1..], 1)).ToList();
        return new RetrievalSet(name, new Corpus(path, passages), queries, judgments);
    }

    private static List<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        using var reader = new StreamReader(DataFile.OpenRead(path), Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }
}
