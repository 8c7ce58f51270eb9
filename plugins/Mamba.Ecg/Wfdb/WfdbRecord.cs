using Mamba.Core.Checkpoints;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Wfdb;

/// <summary>A WFDB record in memory: its header and each signal's digital samples.</summary>
public sealed class WfdbRecord
{
    /// <summary>Wraps <paramref name="digital"/> (signal × sample) described by <paramref name="header"/>.</summary>
    public WfdbRecord(WfdbHeader header, int[][] digital)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(digital);
        if (digital.Length != header.Signals.Count) throw new ArgumentException($"{digital.Length} sample arrays for {header.Signals.Count} signals", nameof(digital));
        if (digital.Any(d => d.Length != digital[0].Length)) throw new ArgumentException("every signal needs the same number of samples", nameof(digital));
        Header = header;
        Digital = digital;
    }

    /// <summary>The header.</summary>
    public WfdbHeader Header { get; }

    /// <summary>Digital samples, one array per signal.</summary>
    public int[][] Digital { get; }

    /// <summary>Samples per signal.</summary>
    public int Length => Digital.Length == 0 ? 0 : Digital[0].Length;

    /// <summary>Physical values of signal <paramref name="signal"/>: (digital − baseline) / gain; missing samples are NaN.</summary>
    public double[] Physical(int signal)
    {
        var s = Header.Signals[signal];
        return [.. Digital[signal].Select(d => d == s.InvalidSample ? double.NaN : (d - s.Baseline) / s.Gain)];
    }
}

/// <summary>
/// Reads and writes WFDB records: a header and its signal files in formats 16, 212 and 80, signals sharing a file
/// interleaved frame by frame. Reading checks the file's length against the header (truncation) and each signal's
/// checksum; errors name the file.
/// </summary>
public static class WfdbFiles
{
    /// <summary>Reads the record whose header is <paramref name="headerPath"/> (signal files beside it).</summary>
    public static WfdbRecord Read(string headerPath)
    {
        var header = WfdbHeaderParser.Read(headerPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(headerPath))!;
        var digital = new int[header.Signals.Count][];
        long? length = header.SampleCount;
        foreach (var group in Groups(header))
        {
            var first = header.Signals[group[0]];
            string path = Path.Combine(folder, first.FileName);
            if (!File.Exists(path)) throw new DataFormatException(path, $"signal file of record {header.RecordName} not found");
            var bytes = File.ReadAllBytes(path);
            long available = bytes.Length - first.ByteOffset;
            long frames = length ?? FramesIn(available, group.Count, first.Format);
            long needed = BytesFor(frames * group.Count, first.Format);
            if (available < needed)
                throw new DataFormatException(path, $"truncated: {header.RecordName} needs {needed} bytes of format {first.Format} samples after a {first.ByteOffset}-byte offset ({frames} samples × {group.Count} signals) but the file has {Math.Max(0, available)}");
            var samples = Decode(bytes.AsSpan(first.ByteOffset), frames * group.Count, first.Format);
            for (int k = 0; k < group.Count; k++)
            {
                var signal = new int[frames];
                for (long i = 0; i < frames; i++) signal[i] = samples[i * group.Count + k];
                digital[group[k]] = signal;
            }
            length ??= frames;
        }
        for (int s = 0; s < digital.Length; s++)
        {
            if (header.Signals[s].Checksum is not { } expected) continue;
            short actual = Checksum(digital[s]);
            if (actual != expected)
                throw new DataFormatException(Path.Combine(folder, header.Signals[s].FileName), $"checksum mismatch for signal {s} ({header.Signals[s].Description}): the header says {expected}, the samples sum to {actual}");
        }
        return new WfdbRecord(header, digital);
    }

    /// <summary>
    /// Writes <paramref name="record"/> as <c>{name}.hea</c> and its signal files into <paramref name="folder"/>,
    /// checksums computed from the samples. Each file is written whole to a temporary name and then moved into place.
    /// </summary>
    public static void Write(string folder, WfdbRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Directory.CreateDirectory(folder);
        var header = record.Header;
        foreach (var group in Groups(header))
        {
            var first = header.Signals[group[0]];
            var interleaved = new int[(long)record.Length * group.Count];
            for (int i = 0; i < record.Length; i++)
                for (int k = 0; k < group.Count; k++) interleaved[(long)i * group.Count + k] = record.Digital[group[k]][i];
            var bytes = new byte[first.ByteOffset + BytesFor(interleaved.Length, first.Format)];
            Encode(interleaved, first.Format, bytes.AsSpan(first.ByteOffset), Path.Combine(folder, first.FileName));
            AtomicFile.Write(Path.Combine(folder, first.FileName), stream => stream.Write(bytes));
        }
        var lines = new List<string> { FormattableString.Invariant($"{header.RecordName} {header.Signals.Count} {header.SamplingFrequency} {record.Length}") };
        for (int s = 0; s < header.Signals.Count; s++)
        {
            var g = header.Signals[s];
            string format = g.ByteOffset > 0 ? FormattableString.Invariant($"{g.Format}+{g.ByteOffset}") : FormattableString.Invariant($"{g.Format}");
            lines.Add(FormattableString.Invariant($"{g.FileName} {format} {g.Gain}({g.Baseline})/{g.Units} {g.AdcResolution} {g.AdcZero} {(record.Length > 0 ? record.Digital[s][0] : g.InitialValue)} {Checksum(record.Digital[s])} 0 {g.Description}").TrimEnd());
        }
        lines.AddRange(header.Comments.Select(c => "# " + c));
        AtomicFile.WriteAllText(Path.Combine(folder, header.RecordName + ".hea"), string.Join('\n', lines) + "\n");
    }

    /// <summary>WFDB's checksum: the sum of the samples, kept to 16 bits (two's complement).</summary>
    public static short Checksum(IEnumerable<int> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int sum = 0;
        foreach (int s in samples) sum = unchecked(sum + s);
        return unchecked((short)sum);
    }

    /// <summary>Signal indices grouped by file, in header order (signals of one file are consecutive).</summary>
    private static List<List<int>> Groups(WfdbHeader header)
    {
        var groups = new List<List<int>>();
        for (int s = 0; s < header.Signals.Count; s++)
        {
            if (s > 0 && header.Signals[s].FileName == header.Signals[s - 1].FileName) groups[^1].Add(s);
            else groups.Add([s]);
        }
        return groups;
    }

    private static long BytesFor(long samples, int format) => format switch
    {
        16 => samples * 2,
        212 => samples / 2 * 3 + (samples % 2) * 2,
        _ => samples,
    };

    private static long FramesIn(long bytes, int signals, int format) => format switch
    {
        16 => bytes / 2 / signals,
        212 => bytes / 3 * 2 / signals,
        _ => bytes / signals,
    };

    private static int[] Decode(ReadOnlySpan<byte> bytes, long count, int format)
    {
        var samples = new int[count];
        switch (format)
        {
            case 16:
                for (long i = 0; i < count; i++) samples[i] = (short)(bytes[(int)(2 * i)] | (bytes[(int)(2 * i + 1)] << 8));
                break;
            case 212:
                for (long i = 0; i < count; i++)
                {
                    int at = (int)(i / 2 * 3);
                    int value = i % 2 == 0
                        ? bytes[at] | ((bytes[at + 1] & 0x0F) << 8)
                        : bytes[at + 2] | ((bytes[at + 1] & 0xF0) << 4);
                    samples[i] = value >= 2048 ? value - 4096 : value;       // 12-bit two's complement
                }
                break;
            default:
                for (long i = 0; i < count; i++) samples[i] = bytes[(int)i] - 128;
                break;
        }
        return samples;
    }

    private static void Encode(int[] samples, int format, Span<byte> bytes, string path)
    {
        var (min, max) = format switch { 16 => (short.MinValue, short.MaxValue), 212 => (-2048, 2047), _ => (-128, 127) };
        int outside = Array.FindIndex(samples, s => s < min || s > max);
        if (outside >= 0) throw new ArgumentException($"{path}: sample {samples[outside]} at {outside} does not fit format {format} ({min}…{max})");
        switch (format)
        {
            case 16:
                for (int i = 0; i < samples.Length; i++) { bytes[2 * i] = (byte)samples[i]; bytes[2 * i + 1] = (byte)(samples[i] >> 8); }
                break;
            case 212:
                for (int i = 0; i < samples.Length; i += 2)
                {
                    int at = i / 2 * 3, a = samples[i] & 0xFFF, b = i + 1 < samples.Length ? samples[i + 1] & 0xFFF : 0;
                    bytes[at] = (byte)a;
                    bytes[at + 1] = (byte)((a >> 8) | ((b >> 8) << 4));
                    if (i + 1 < samples.Length) bytes[at + 2] = (byte)b;
                }
                break;
            default:
                for (int i = 0; i < samples.Length; i++) bytes[i] = (byte)(samples[i] + 128);
                break;
        }
    }
}
