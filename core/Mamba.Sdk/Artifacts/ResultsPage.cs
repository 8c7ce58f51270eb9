using System.Globalization;
using System.Text;

namespace Mamba.Sdk.Artifacts;

/// <summary>
/// A run's Markdown results page (<c>results.md</c>): paragraphs, bullet lists and tables in the order added, numbers
/// in the invariant culture whatever the machine's locale. Write it with <see cref="ArtifactWriter.WriteResultsAsync"/>.
/// </summary>
public sealed class ResultsPage
{
    private readonly List<string> blocks = [];

    /// <summary>A paragraph; interpolated numbers are formatted in the invariant culture.</summary>
    public ResultsPage Paragraph(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        blocks.Add(text.ToString(CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>A bullet list, one item per entry; nothing when there are none.</summary>
    public ResultsPage Bullets(IEnumerable<FormattableString> items)
    {
        var lines = items.Select(i => "- " + i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (lines.Count > 0) blocks.Add(string.Join('\n', lines));
        return this;
    }

    /// <summary>A table.</summary>
    public ResultsPage Table(ResultsTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        blocks.Add(table.ToString());
        return this;
    }

    /// <summary>The page as Markdown: blocks separated by a blank line, ending in a newline.</summary>
    public override string ToString() => string.Join("\n\n", blocks) + "\n";
}

/// <summary>One column of a <see cref="ResultsTable"/>: its header, alignment and the format of its numbers.</summary>
/// <param name="Header">The header cell.</param>
/// <param name="Numeric">Right-aligned, as numbers are read.</param>
/// <param name="Format">The .NET format of numeric cells (<c>F4</c>); null for their default.</param>
public sealed record ResultsColumn(string Header, bool Numeric = false, string? Format = null)
{
    /// <summary>A left-aligned text column.</summary>
    public static ResultsColumn Text(string header) => new(header);

    /// <summary>A right-aligned column whose numbers are written with <paramref name="format"/>.</summary>
    public static ResultsColumn Number(string header, string? format = null) => new(header, Numeric: true, format);
}

/// <summary>
/// A Markdown table of results. A cell is text, a number (written with its column's format) or null (empty); a
/// <see cref="Strong"/> cell is bold. Pipes and line breaks inside cells are escaped, so a user's model, file or
/// sequence name never breaks the table.
/// </summary>
public sealed class ResultsTable
{
    private readonly ResultsColumn[] columns;
    private readonly List<string[]> rows = [];

    /// <summary>A table with these columns, left to right.</summary>
    public ResultsTable(params IEnumerable<ResultsColumn> columns)
    {
        this.columns = [.. columns];
        if (this.columns.Length == 0) throw new ArgumentException("A table needs at least one column.", nameof(columns));
    }

    /// <summary>The rows added so far.</summary>
    public int RowCount => rows.Count;

    /// <summary>Adds a row; it must have one cell per column.</summary>
    /// <exception cref="ArgumentException">The count of cells differs from the count of columns.</exception>
    public ResultsTable Row(params IEnumerable<object?> cells)
    {
        var values = cells.ToArray();
        if (values.Length != columns.Length)
            throw new ArgumentException($"A row of {values.Length} cells for a table of {columns.Length} columns ({string.Join(", ", columns.Select(c => c.Header))}).", nameof(cells));
        rows.Add([.. values.Select((value, i) => Cell(value, columns[i].Format))]);
        return this;
    }

    /// <summary>A cell written in bold (the best value of a row or column), formatted like any other.</summary>
    public static object Strong(object value) => new StrongCell(value);

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("| ").AppendJoin(" | ", columns.Select(c => Escape(c.Header))).Append(" |\n");
        text.Append("| ").AppendJoin(" | ", columns.Select(c => c.Numeric ? "---:" : "---")).Append(" |\n");
        foreach (var row in rows) text.Append("| ").AppendJoin(" | ", row).Append(" |\n");
        return text.ToString(0, text.Length - 1);
    }

    private static string Cell(object? value, string? format) => value switch
    {
        null => "",
        StrongCell strong => $"**{Cell(strong.Value, format)}**",
        string s => Escape(s),
        IFormattable number => Escape(number.ToString(format, CultureInfo.InvariantCulture)),
        _ => Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal)
        .Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ');

    private sealed record StrongCell(object Value);
}
