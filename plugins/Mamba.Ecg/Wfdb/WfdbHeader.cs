namespace Mamba.Ecg.Wfdb;

/// <summary>
/// One signal line of a WFDB header: where its samples are and how digital values map to physical units,
/// physical = (digital − <see cref="Baseline"/>) / <see cref="Gain"/>.
/// </summary>
/// <param name="FileName">Signal file, relative to the header's folder.</param>
/// <param name="Format">Storage format: 16 (little-endian int16), 212 (two 12-bit samples in 3 bytes) or 80 (offset-binary byte).</param>
/// <param name="ByteOffset">Bytes to skip at the start of the file (the challenge's <c>.mat</c> files: 24).</param>
/// <param name="Gain">ADC units per physical unit (WFDB's default 200 when the header gives none or 0).</param>
/// <param name="Baseline">Digital value of physical zero (defaults to <see cref="AdcZero"/>).</param>
/// <param name="Units">Physical units (default mV).</param>
/// <param name="AdcResolution">Bits of the ADC.</param>
/// <param name="AdcZero">Digital value at the middle of the ADC's range.</param>
/// <param name="InitialValue">Value of the first sample (used by difference formats; recorded only).</param>
/// <param name="Checksum">16-bit sum of the signal's samples, when the header gives one.</param>
/// <param name="Description">The signal's name (a lead such as <c>MLII</c> or <c>V1</c>).</param>
public sealed record WfdbSignal(string FileName, int Format, int ByteOffset, double Gain, int Baseline, string Units, int AdcResolution, int AdcZero, int InitialValue, short? Checksum, string Description)
{
    /// <summary>The digital value WFDB uses for a missing sample in this format.</summary>
    public int InvalidSample => Format switch { 212 => -2048, 80 => -128, _ => short.MinValue };
}

/// <summary>A parsed WFDB header (<c>.hea</c>): the record line, one line per signal and the <c>#</c> comment lines.</summary>
/// <param name="RecordName">The record's name.</param>
/// <param name="SamplingFrequency">Samples per second per signal.</param>
/// <param name="SampleCount">Samples per signal, when the header says (otherwise inferred from the file size).</param>
/// <param name="Signals">The signals, in header order.</param>
/// <param name="Comments">Comment lines without their <c>#</c> (the challenge keeps <c>Age:</c>, <c>Sex:</c>, <c>Dx:</c> here).</param>
public sealed record WfdbHeader(string RecordName, double SamplingFrequency, long? SampleCount, IReadOnlyList<WfdbSignal> Signals, IReadOnlyList<string> Comments)
{
    /// <summary>The value of a <c>Key: value</c> comment (case-insensitive key), or null.</summary>
    public string? Comment(string key)
    {
        foreach (string line in Comments)
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals(key, StringComparison.OrdinalIgnoreCase)) return line[(colon + 1)..].Trim();
        }
        return null;
    }
}
