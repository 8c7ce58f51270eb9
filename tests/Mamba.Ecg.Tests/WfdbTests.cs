using System.Globalization;
using Mamba.Ecg.Wfdb;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Tests;

public sealed class WfdbTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mamba-wfdb-").FullName;

    private static WfdbSignal Signal(string file, int format, string lead, int offset = 0) =>
        new(file, format, offset, Gain: 1000, Baseline: 0, Units: "mV", AdcResolution: format == 212 ? 12 : 16, AdcZero: 0, InitialValue: 0, Checksum: null, Description: lead);

    private string Copy(string name)
    {
        string target = Path.Combine(folder, name);
        File.Copy(Path.Combine("data", name), target);
        return target;
    }

    [Fact]
    public void Mitdb208_reads_exactly_the_published_samples()
    {
        var record = WfdbFiles.Read(Path.Combine("data", "mitdb208.hea"));
        var expected = File.ReadLines(Path.Combine("data", "mitdb208.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();

        var signal = record.Header.Signals.Single();
        Assert.Equal(360, record.Header.SamplingFrequency);
        Assert.Equal((200.0, 1024, 11, 1024, "MLII"), (signal.Gain, signal.Baseline, signal.AdcResolution, signal.AdcZero, signal.Description));
        Assert.Equal(108_000, record.Length);
        Assert.Equal(975, record.Digital[0][0]);
        var physical = record.Physical(0);
        Assert.Equal(expected.Length, physical.Length);
        int mismatch = Enumerable.Range(0, expected.Length).FirstOrDefault(i => Math.Abs(expected[i] - physical[i]) > 1e-9, -1);
        Assert.True(mismatch < 0, $"sample {mismatch}: csv {expected[Math.Max(0, mismatch)]} mV, reader {physical[Math.Max(0, mismatch)]} mV");
    }

    [Theory]
    [InlineData(16, 7)]
    [InlineData(212, 7)]
    [InlineData(212, 8)]
    [InlineData(80, 5)]
    public void Round_trip_keeps_every_sample_of_interleaved_signals(int format, int length)
    {
        var random = new Random(format + length);
        int limit = format switch { 16 => 32767, 212 => 2047, _ => 127 };
        var digital = Enumerable.Range(0, 3).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(-limit, limit + 1)).ToArray()).ToArray();
        digital[1][0] = -limit - 1;   // the extreme negative value, WFDB's "missing" sample
        var header = new WfdbHeader("rt", 500, length, [Signal("rt.dat", format, "I"), Signal("rt.dat", format, "II"), Signal("rt.dat", format, "V1")], ["Dx: 164889003"]);

        WfdbFiles.Write(folder, new WfdbRecord(header, digital));
        var back = WfdbFiles.Read(Path.Combine(folder, "rt.hea"));

        Assert.Equal(digital, back.Digital);
        Assert.Equal(["I", "II", "V1"], back.Header.Signals.Select(s => s.Description));
        Assert.Equal("164889003", back.Header.Comment("dx"));
        Assert.True(double.IsNaN(back.Physical(1)[0]));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Challenge_style_mat_files_are_format_16_after_a_24_byte_offset()
    {
        var digital = new[] { new[] { 1, -2, 3 }, new[] { 100, 200, -300 } };
        var header = new WfdbHeader("A0001", 500, 3, [Signal("A0001.mat", 16, "I", 24), Signal("A0001.mat", 16, "II", 24)], ["Age: 74", "Sex: Male", "Dx: 59118001,164889003"]);
        WfdbFiles.Write(folder, new WfdbRecord(header, digital));

        var back = WfdbFiles.Read(Path.Combine(folder, "A0001.hea"));

        Assert.Equal(24 + 3 * 2 * 2, new FileInfo(Path.Combine(folder, "A0001.mat")).Length);
        Assert.Equal(digital, back.Digital);
        Assert.Equal(0.2, back.Physical(1)[1], 12);
        Assert.Equal("59118001,164889003", back.Header.Comment("Dx"));
    }

    [Fact]
    public void A_truncated_signal_file_is_refused_with_the_byte_counts()
    {
        string header = Copy("mitdb208.hea");
        string dat = Path.Combine(folder, "mitdb208.dat");
        File.WriteAllBytes(dat, File.ReadAllBytes(Path.Combine("data", "mitdb208.dat"))[..100_000]);

        var error = Assert.Throws<DataFormatException>(() => WfdbFiles.Read(header));

        Assert.Contains(dat, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated: mitdb208 needs 162000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("the file has 100000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_changed_sample_fails_the_checksum()
    {
        string header = Copy("mitdb208.hea");
        var bytes = File.ReadAllBytes(Path.Combine("data", "mitdb208.dat"));
        bytes[3000] ^= 0x01;
        File.WriteAllBytes(Path.Combine(folder, "mitdb208.dat"), bytes);

        var error = Assert.Throws<DataFormatException>(() => WfdbFiles.Read(header));

        Assert.Contains("checksum mismatch for signal 0 (MLII): the header says 5363", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rec 1 500 10\nrec.dat 311 200 12 0 0 0 0 I\n", "row 2: signal format 311 is not supported")]
    [InlineData("rec 2 500 10\nrec.dat 16 200 16 0 0 0 0 I\n", "row 1: the record line announces 2 signals but 1 signal lines follow")]
    [InlineData("rec 1 fast 10\nrec.dat 16 200 16 0 0 0 0 I\n", "row 1: sampling frequency 'fast'")]
    [InlineData("rec 1 500 10\nrec.dat 16 2x0/mV 16 0 0 0 0 I\n", "row 2: ADC gain '2x0/mV' is malformed")]
    [InlineData("rec 1 500 10\nrec.dat 16 200 sixteen\n", "row 2: ADC resolution 'sixteen' is not an integer")]
    [InlineData("# only a comment\n", "no record line")]
    public void Corrupt_headers_are_refused_naming_the_line(string text, string expected)
    {
        string path = Path.Combine(folder, "rec.hea");
        File.WriteAllText(path, text);

        var error = Assert.Throws<DataFormatException>(() => WfdbHeaderParser.Read(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_defaults_follow_the_specification()
    {
        var header = WfdbHeaderParser.Parse(["rec 1", "rec.dat 212"], "rec.hea");
        var signal = header.Signals.Single();

        Assert.Equal(250, header.SamplingFrequency);
        Assert.Null(header.SampleCount);
        Assert.Equal((200.0, 0, "mV", 12, ""), (signal.Gain, signal.Baseline, signal.Units, signal.AdcResolution, signal.Description));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
