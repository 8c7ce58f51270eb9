using System.Globalization;
using System.Text.RegularExpressions;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Wfdb;

/// <summary>
/// Parses WFDB headers per the format's specification (PhysioNet's <c>header(5)</c>): a record line
/// <c>name[/segments] [signals [fs[/counter[(base)]] [samples [time [date]]]]]</c>, then one line per signal
/// <c>file format[xspf][:skew][+offset] [gain[(baseline)][/units] [resolution [zero [initial [checksum [block [description]]]]]]]</c>;
/// <c>#</c> lines are comments. Errors name the file and line.
/// </summary>
public static partial class WfdbHeaderParser
{
    private static readonly int[] SupportedFormats = [16, 212, 80];

    /// <summary>Reads and parses the header file at <paramref name="path"/>.</summary>
    public static WfdbHeader Read(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "header file not found");
        return Parse(File.ReadAllLines(path), path);
    }

    /// <summary>Parses header <paramref name="lines"/>; <paramref name="source"/> names the file in errors.</summary>
    public static WfdbHeader Parse(IReadOnlyList<string> lines, string source)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var comments = new List<string>();
        var content = new List<(int Line, string[] Fields, string Text)>();
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0) continue;
            if (line[0] == '#') { comments.Add(line[1..].Trim()); continue; }
            content.Add((i + 1, line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries), line));
        }
        if (content.Count == 0) throw new DataFormatException(source, "no record line: the header is empty");

        var (recordLine, record, _) = content[0];
        string name = record[0];
        if (name.Contains('/', StringComparison.Ordinal)) throw new DataFormatException(source, $"record '{name}' is multi-segment, which is not supported", recordLine);
        int signalCount = record.Length > 1 ? Integer(record[1], "number of signals", source, recordLine) : 0;
        double frequency = 250;
        if (record.Length > 2)
        {
            string fs = record[2].Split('/')[0];
            if (!double.TryParse(fs, NumberStyles.Float, CultureInfo.InvariantCulture, out frequency) || !(frequency > 0))
                throw new DataFormatException(source, $"sampling frequency '{record[2]}' is not a positive number", recordLine);
        }
        long? samples = record.Length > 3 ? Long(record[3], "number of samples", source, recordLine) : null;
        if (content.Count - 1 != signalCount)
            throw new DataFormatException(source, $"the record line announces {signalCount} signals but {content.Count - 1} signal lines follow", recordLine);

        var signals = new List<WfdbSignal>();
        for (int s = 1; s < content.Count; s++)
        {
            var (line, fields, text) = content[s];
            if (fields.Length < 2) throw new DataFormatException(source, "a signal line needs at least a file name and a format", line);
            var format = FormatPattern().Match(fields[1]);
            if (!format.Success) throw new DataFormatException(source, $"signal format '{fields[1]}' is malformed", line);
            if (fields[0].IndexOfAny(['/', '\\']) >= 0 || fields[0] is "." or "..")
                throw new DataFormatException(source, $"signal file '{fields[0]}' must be a file name beside the header, not a path", line);
            int code = Integer(format.Groups["format"].Value, "signal format", source, line);
            if (!SupportedFormats.Contains(code)) throw new DataFormatException(source, $"signal format {code} is not supported (16, 212 and 80 are)", line);
            if (format.Groups["spf"].Success && format.Groups["spf"].Value != "1") throw new DataFormatException(source, "multi-frequency records (samples per frame > 1) are not supported", line);
            if (format.Groups["skew"].Success && format.Groups["skew"].Value != "0") throw new DataFormatException(source, "skewed signals are not supported", line);
            int offset = format.Groups["offset"].Success ? Integer(format.Groups["offset"].Value, "byte offset", source, line) : 0;

            double gain = 200;
            int? baseline = null;
            string units = "mV";
            if (fields.Length > 2)
            {
                var g = GainPattern().Match(fields[2]);
                if (!g.Success) throw new DataFormatException(source, $"ADC gain '{fields[2]}' is malformed", line);
                gain = double.Parse(g.Groups["gain"].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
                if (!double.IsFinite(gain)) throw new DataFormatException(source, $"ADC gain '{g.Groups["gain"].Value}' is not a finite number", line);
                if (gain == 0) gain = 200;
                if (g.Groups["baseline"].Success) baseline = Integer(g.Groups["baseline"].Value, "baseline", source, line);
                if (g.Groups["units"].Success) units = g.Groups["units"].Value;
            }
            int resolution = fields.Length > 3 ? Integer(fields[3], "ADC resolution", source, line) : code == 212 ? 12 : code == 80 ? 8 : 16;
            int zero = fields.Length > 4 ? Integer(fields[4], "ADC zero", source, line) : 0;
            int initial = fields.Length > 5 ? Integer(fields[5], "initial value", source, line) : zero;
            short? checksum = fields.Length > 6 ? unchecked((short)Integer(fields[6], "checksum", source, line)) : null;
            if (fields.Length > 7) Integer(fields[7], "block size", source, line);
            string description = fields.Length > 8 ? DescriptionOf(text, 8) : "";
            if (signals.Count > 0 && signals[^1].FileName == fields[0] && (signals[^1].Format != code || signals[^1].ByteOffset != offset))
                throw new DataFormatException(source, $"signals sharing {fields[0]} must share format and byte offset", line);
            signals.Add(new WfdbSignal(fields[0], code, offset, gain, baseline ?? zero, units, resolution, zero, initial, checksum, description));
        }
        return new WfdbHeader(name, frequency, samples, signals, comments);
    }

    private static int Integer(string text, string what, string source, int line) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value : throw new DataFormatException(source, $"{what} '{text}' is not an integer", line);

    private static long Long(string text, string what, string source, int line) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? value : throw new DataFormatException(source, $"{what} '{text}' is not a non-negative integer", line);

    /// <summary>The rest of the line after <paramref name="fieldCount"/> fields: descriptions may contain spaces.</summary>
    private static string DescriptionOf(string line, int fieldCount)
    {
        int at = 0;
        for (int f = 0; f < fieldCount; f++)
        {
            while (at < line.Length && char.IsWhiteSpace(line[at])) at++;
            while (at < line.Length && !char.IsWhiteSpace(line[at])) at++;
        }
        return line[at..].Trim();
    }

    [GeneratedRegex(@"^(?<format>\d+)(x(?<spf>\d+))?(:(?<skew>\d+))?(\+(?<offset>\d+))?$")]
    private static partial Regex FormatPattern();

    [GeneratedRegex(@"^(?<gain>[-+]?\d*\.?\d+([eE][-+]?\d+)?)(\((?<baseline>[-+]?\d+)\))?(/(?<units>\S+))?$")]
    private static partial Regex GainPattern();
}
