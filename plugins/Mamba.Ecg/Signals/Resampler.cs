namespace Mamba.Ecg.Signals;

/// <summary>
/// Band-limited resampling by windowed-sinc (Lanczos, a = 4) interpolation. When the rate falls the kernel is
/// stretched by the ratio, so it low-passes below the new Nyquist frequency before sampling (no aliasing).
/// </summary>
public static class Resampler
{
    private const int Lobes = 4;

    /// <summary><paramref name="signal"/> at <paramref name="from"/> Hz, resampled to <paramref name="to"/> Hz (same duration).</summary>
    public static float[] Resample(ReadOnlySpan<float> signal, double from, double to)
    {
        if (!(from > 0) || !(to > 0)) throw new ArgumentOutOfRangeException(nameof(from), "sampling rates must be positive");
        if (from == to) return signal.ToArray();
        int length = (int)Math.Floor(signal.Length * to / from);
        var output = new float[length];
        double scale = Math.Min(1, to / from);                 // < 1 when downsampling: widen the kernel
        double radius = Lobes / scale;
        for (int i = 0; i < length; i++)
        {
            double center = i * from / to;
            int first = Math.Max(0, (int)Math.Ceiling(center - radius)), last = Math.Min(signal.Length - 1, (int)Math.Floor(center + radius));
            double sum = 0, weights = 0;
            for (int j = first; j <= last; j++)
            {
                double w = Kernel((center - j) * scale);
                sum += w * signal[j];
                weights += w;
            }
            output[i] = (float)(weights == 0 ? 0 : sum / weights);   // normalised: flat signals stay flat at the edges
        }
        return output;
    }

    private static double Kernel(double x)
    {
        if (x == 0) return 1;
        if (Math.Abs(x) >= Lobes) return 0;
        double px = Math.PI * x;
        return Lobes * Math.Sin(px) * Math.Sin(px / Lobes) / (px * px);
    }
}
