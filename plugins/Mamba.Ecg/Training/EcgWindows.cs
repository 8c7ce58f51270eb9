using Mamba.Ecg.Signals;
using Mamba.Ecg.Wfdb;
using Mamba.Sdk.Data;
using static TorchSharp.torch;

namespace Mamba.Ecg.Training;

/// <summary>Turns recordings into model input: resampled to the model's rate, cut to windows, absent leads masked.</summary>
public static class EcgWindows
{
    /// <summary>
    /// The 12 standard lead channels of a recording at <paramref name="to"/> Hz: each lead of <paramref name="leads"/>
    /// (by name) resampled; leads it does not have stay null.
    /// </summary>
    public static float[]?[] Standardise(IReadOnlyList<string> names, IReadOnlyList<float[]> leads, double from, double to)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(leads);
        var channels = new float[]?[LeadSet.Standard.Count];
        for (int i = 0; i < names.Count; i++) channels[LeadSet.ChannelOf(names[i])] = Resampler.Resample(leads[i], from, to);
        return channels;
    }

    /// <summary>The 12 standard lead channels of a WFDB record read from <paramref name="path"/>, at <paramref name="to"/> Hz.</summary>
    /// <exception cref="DataFormatException">A signal's name is not a lead; the file and the signal are named.</exception>
    public static float[]?[] Standardise(string path, WfdbRecord record, double to)
    {
        ArgumentNullException.ThrowIfNull(record);
        var names = record.Header.Signals.Select(s => s.Description).ToList();
        RequireLeadNames(path, names);
        var physical = Enumerable.Range(0, names.Count).Select(s => record.Physical(s).Select(v => (float)v).ToArray()).ToList();
        return Standardise(names, physical, record.Header.SamplingFrequency, to);
    }

    /// <summary>Checks that every signal name is a lead the model knows (MLII is read as II).</summary>
    /// <exception cref="DataFormatException">One is not; the file and the signal are named.</exception>
    public static void RequireLeadNames(string path, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (string name in names)
        {
            try { LeadSet.ChannelOf(name); }
            catch (ArgumentException error) { throw new DataFormatException(path, $"signal '{name}': {error.Message}"); }
        }
    }

    /// <summary>
    /// One window (24 × <paramref name="samples"/> floats: 12 signals, then 12 presence flags) starting at
    /// <paramref name="start"/>; leads outside <paramref name="set"/> or missing are zero with flag 0; NaN becomes 0.
    /// </summary>
    public static float[] Window(float[]?[] channels, int start, int samples, LeadSet set)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(set);
        var mask = set.Mask();
        var window = new float[2 * channels.Length * samples];
        for (int c = 0; c < channels.Length; c++)
        {
            if (channels[c] is not { } lead || mask[c] == 0) continue;
            for (int i = 0; i < samples && start + i < lead.Length; i++)
            {
                float v = lead[start + i];
                window[c * samples + i] = float.IsFinite(v) ? v : 0;
            }
            window.AsSpan((channels.Length + c) * samples, samples).Fill(1);
        }
        return window;
    }

    /// <summary>Stacks windows into a (B, 24, samples) tensor.</summary>
    public static Tensor Batch(IReadOnlyList<float[]> windows, int samples)
    {
        ArgumentNullException.ThrowIfNull(windows);
        var flat = new float[windows.Count * windows[0].Length];
        for (int i = 0; i < windows.Count; i++) windows[i].CopyTo(flat, i * windows[0].Length);
        return tensor(flat).view(windows.Count, -1, samples);
    }
}
