using System.Globalization;
using System.Text;

namespace Mamba.Sdk.Data;

/// <summary>A data file cannot be used as it is. The message names the file and, where known, the row and column.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>An error in <paramref name="file"/>, at <paramref name="row"/> (1-based, as an editor shows it) and <paramref name="column"/> when known.</summary>
    public DataFormatException(string file, string message, long? row = null, string? column = null, Exception? inner = null)
        : base(Describe(file, message, row, column), inner)
    {
        File = file;
        Row = row;
        Column = column;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The 1-based row (line for text files), when known.</summary>
    public long? Row { get; }

    /// <summary>The column name, when known.</summary>
    public string? Column { get; }

    private static string Describe(string file, string message, long? row, string? column)
    {
        var text = new StringBuilder(file);
        if (row is { } r) text.Append(CultureInfo.InvariantCulture, $", row {r}");
        if (column is not null) text.Append(CultureInfo.InvariantCulture, $", column '{column}'");
        return text.Append(": ").Append(message).ToString();
    }
}
