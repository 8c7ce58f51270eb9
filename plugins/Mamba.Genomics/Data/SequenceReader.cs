using System.Runtime.CompilerServices;
using System.Text;
using Mamba.Sdk.Data;

namespace Mamba.Genomics.Data;

/// <summary>
/// Streams FASTA (<c>&gt;</c> headers, sequence over any number of lines, <c>;</c> comment lines) and FASTQ (four-line
/// records) files, plain or gzip (recognised by its magic bytes, not the name). Bases become upper-case A, C, G, T or
/// N; gaps (<c>-</c>, <c>.</c>) and whitespace are refused, as are characters outside IUPAC; errors name the file and line.
/// </summary>
public static class SequenceReader
{
    private const string Iupac = "ACGTNRYSWKMBDHVU";

    /// <summary>Every record of <paramref name="path"/>, in order, one at a time.</summary>
    public static async IAsyncEnumerable<SequenceRecord> ReadAsync(string path, SequenceReaderOptions? options = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        options ??= new SequenceReaderOptions();
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        await using var stream = DataFile.OpenRead(path);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        int line = 0;
        string? text;
        do
        {
            text = await reader.ReadLineAsync(cancellation);
            line++;
        }
        while (text is not null && text.Trim().Length == 0);
        if (text is null) throw new DataFormatException(path, "empty file: no FASTA or FASTQ record");
        if (text[0] == '@')
        {
            await foreach (var record in ReadFastqAsync(path, reader, text, line, options, cancellation)) yield return record;
        }
        else if (text[0] == '>')
        {
            await foreach (var record in ReadFastaAsync(path, reader, text, line, options, cancellation)) yield return record;
        }
        else
        {
            throw new DataFormatException(path, $"not FASTA or FASTQ: the first line starts with '{Printable(text[0])}', not '>' or '@'", line);
        }
    }

    private static async IAsyncEnumerable<SequenceRecord> ReadFastaAsync(string path, StreamReader reader, string header, int line, SequenceReaderOptions options, [EnumeratorCancellation] CancellationToken cancellation)
    {
        int headerLine = line;
        var bases = new StringBuilder();
        var mask = new List<bool>();
        string? text;
        while ((text = await reader.ReadLineAsync(cancellation)) is not null)
        {
            line++;
            if (text.Length == 0 || text[0] == ';') continue;
            if (text[0] == '>')
            {
                yield return Finish(path, header, headerLine, bases, mask, null, options);
                (header, headerLine) = (text, line);
                bases.Clear();
                mask.Clear();
                continue;
            }
            Append(path, line, text.TrimEnd('\r', ' ', '\t'), bases, mask, options);
        }
        yield return Finish(path, header, headerLine, bases, mask, null, options);
    }

    private static async IAsyncEnumerable<SequenceRecord> ReadFastqAsync(string path, StreamReader reader, string header, int line, SequenceReaderOptions options, [EnumeratorCancellation] CancellationToken cancellation)
    {
        string? text = header;
        while (text is not null)
        {
            if (text.Length == 0) { text = await reader.ReadLineAsync(cancellation); line++; continue; }
            if (text[0] != '@') throw new DataFormatException(path, "a FASTQ record starts with '@'", line);
            int headerLine = line;
            string sequence = await reader.ReadLineAsync(cancellation) ?? throw new DataFormatException(path, "record ends after its header (no sequence line)", line + 1);
            string plus = await reader.ReadLineAsync(cancellation) ?? throw new DataFormatException(path, "record ends after its sequence (no '+' line)", line + 2);
            string qualities = await reader.ReadLineAsync(cancellation) ?? throw new DataFormatException(path, "record ends after its '+' line (no qualities)", line + 3);
            if (plus.Length == 0 || plus[0] != '+') throw new DataFormatException(path, "the third line of a FASTQ record must start with '+'", line + 2);
            if (qualities.Length != sequence.Length)
                throw new DataFormatException(path, $"{qualities.Length} quality values for {sequence.Length} bases", line + 3);
            var bases = new StringBuilder(sequence.Length);
            var mask = new List<bool>();
            Append(path, line + 1, sequence, bases, mask, options);
            yield return Finish(path, text, headerLine, bases, mask, qualities, options);
            line += 4;
            text = await reader.ReadLineAsync(cancellation);
        }
    }

    private static void Append(string path, int line, string text, StringBuilder bases, List<bool> mask, SequenceReaderOptions options)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            char upper = char.ToUpperInvariant(c);
            if (!Iupac.Contains(upper, StringComparison.Ordinal))
                throw new DataFormatException(path, $"'{Printable(c)}' at column {i + 1} is not a nucleotide (IUPAC) code", line);
            if (upper is not ('A' or 'C' or 'G' or 'T' or 'N' or 'U'))
            {
                if (options.Ambiguity == AmbiguityHandling.Reject)
                    throw new DataFormatException(path, $"ambiguity code '{c}' at column {i + 1} (set ambiguity to MapToN to read it as N)", line);
                upper = 'N';
            }
            bases.Append(upper == 'U' ? 'T' : upper);
            mask.Add(char.IsLower(c));
        }
    }

    private static SequenceRecord Finish(string path, string header, int line, StringBuilder bases, List<bool> mask, string? qualities, SequenceReaderOptions options)
    {
        string title = header[1..].Trim();
        if (title.Length == 0) throw new DataFormatException(path, "record header has no id", line);
        if (bases.Length == 0) throw new DataFormatException(path, $"record '{title}' has no bases", line);
        int space = title.IndexOfAny([' ', '\t']);
        string id = space < 0 ? title : title[..space];
        string description = space < 0 ? "" : title[(space + 1)..].Trim();
        bool[]? masked = options.KeepMask && mask.Contains(true) ? [.. mask] : null;
        return new SequenceRecord(id, description, bases.ToString(), masked, qualities);
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();
}
