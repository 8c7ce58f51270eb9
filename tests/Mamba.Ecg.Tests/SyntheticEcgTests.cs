using Mamba.Ecg.Metrics;
using Mamba.Ecg.Synthetic;

namespace Mamba.Ecg.Tests;

/// <summary>The generator's conditions, measured on its noise-free waveforms (not read back from its parameters).</summary>
public sealed class SyntheticEcgTests
{
    private static readonly SyntheticEcgOptions Clean = new() { Noise = false, Seconds = 12 };

    private static SyntheticEcgRecord Make(int seed, params string[] codes) => SyntheticEcg.Generate(codes, seed, Clean);

    /// <summary>
    /// R peaks, Pan–Tompkins style: the slope energy Σ_leads (x[i+1] − x[i−1])² smoothed over 40 ms singles out QRS
    /// complexes (T and P waves are slow: ~1 % of a QRS, wide PVCs ~10 %); its local maxima above 5 % of the largest, 250 ms apart, are refined to the
    /// largest spatial magnitude within ±60 ms.
    /// </summary>
    private static List<int> RPeaks(SyntheticEcgRecord record)
    {
        int n = record.Leads[0].Length, gap = (int)(0.25 * record.SamplingFrequency), half = (int)(0.02 * record.SamplingFrequency), near = (int)(0.06 * record.SamplingFrequency);
        var slope = new double[n];
        for (int i = 1; i < n - 1; i++) slope[i] = record.Leads.Sum(l => ((double)l[i + 1] - l[i - 1]) * (l[i + 1] - l[i - 1]));
        var energy = Enumerable.Range(0, n).Select(i => Enumerable.Range(Math.Max(0, i - half), Math.Min(n, i + half + 1) - Math.Max(0, i - half)).Average(j => slope[j])).ToArray();
        double threshold = 0.05 * energy.Max();
        var peaks = new List<int>();
        for (int i = 1; i < n - 1; i++)
        {
            if (energy[i] < threshold || energy[i] < energy[i - 1] || energy[i] < energy[i + 1]) continue;
            if (peaks.Count > 0 && i - peaks[^1] < gap)
            {
                if (energy[i] > energy[peaks[^1]]) peaks[^1] = i;
                continue;
            }
            peaks.Add(i);
        }
        double Magnitude(int i) => record.Leads.Sum(l => (double)l[i] * l[i]);
        return [.. peaks.Select(p => Enumerable.Range(Math.Max(0, p - near), Math.Min(n, p + near) - Math.Max(0, p - near)).MaxBy(Magnitude))];
    }

    private static double[] Intervals(SyntheticEcgRecord record)
    {
        var peaks = RPeaks(record);
        return [.. peaks.Skip(1).Zip(peaks, (b, a) => (b - a) / record.SamplingFrequency)];
    }

    private static double Bpm(SyntheticEcgRecord record) => 60 / Intervals(record).Average();

    /// <summary>Mean span (s) around each R peak where the spatial magnitude exceeds 20 % of that peak.</summary>
    private static double QrsWidth(SyntheticEcgRecord record)
    {
        double fs = record.SamplingFrequency;
        var widths = new List<double>();
        foreach (int peak in RPeaks(record).Where(p => p > 0.15 * fs && p < record.Leads[0].Length - 0.15 * fs))
        {
            double Magnitude(int i) => Math.Sqrt(record.Leads.Sum(l => (double)l[i] * l[i]));
            double limit = 0.2 * Magnitude(peak);
            var above = Enumerable.Range(peak - (int)(0.12 * fs), (int)(0.24 * fs)).Where(i => Magnitude(i) > limit).ToList();
            widths.Add((above[^1] - above[0]) / fs);
        }
        return widths.Average();
    }

    [Fact]
    public void Records_are_deterministic_by_seed()
    {
        var a = SyntheticEcg.Generate(7);
        var b = SyntheticEcg.Generate(7);
        var c = SyntheticEcg.Generate(8);

        Assert.Equal(a.Codes, b.Codes);
        Assert.Equal(a.Leads, b.Leads);
        Assert.NotEqual(a.Leads[1], c.Leads[1]);
        Assert.Equal(12, a.Leads.Length);
        Assert.Equal(5000, a.Leads[0].Length);
    }

    [Theory]
    [InlineData(EcgCondition.SinusBradycardia, 35, 60)]
    [InlineData(EcgCondition.SinusRhythm, 60, 100)]
    [InlineData(EcgCondition.SinusTachycardia, 100, 160)]
    public void Sinus_rhythms_have_their_rates(string rhythm, double low, double high)
    {
        foreach (int seed in new[] { 1, 2, 3 })
            Assert.InRange(Bpm(Make(seed, rhythm)), low, high);
    }

    [Fact]
    public void Atrial_fibrillation_is_irregular_and_sinus_rhythm_is_not()
    {
        static double Variation(SyntheticEcgRecord r)
        {
            var rr = Intervals(r);
            double mean = rr.Average();
            return Math.Sqrt(rr.Sum(x => (x - mean) * (x - mean)) / rr.Length) / mean;
        }

        foreach (int seed in new[] { 4, 5, 6 })
        {
            Assert.True(Variation(Make(seed, EcgCondition.AtrialFibrillation)) > 0.1, $"seed {seed}: AF RR variation {Variation(Make(seed, EcgCondition.AtrialFibrillation)):F3}");
            Assert.True(Variation(Make(seed, EcgCondition.SinusRhythm)) < 0.06, $"seed {seed}: sinus RR variation {Variation(Make(seed, EcgCondition.SinusRhythm)):F3}");
        }
    }

    [Fact]
    public void First_degree_av_block_lengthens_the_pr_interval_past_200_ms()
    {
        static double Pr(SyntheticEcgRecord r)
        {
            double fs = r.SamplingFrequency;
            var lead = r.Leads[1];
            return RPeaks(r).Where(p => p > 0.4 * fs).Average(p =>
            {
                int from = p - (int)(0.33 * fs), to = p - (int)(0.08 * fs);
                int pPeak = Enumerable.Range(from, to - from).MaxBy(i => lead[i]);
                return (p - pPeak) / fs;
            });
        }

        foreach (int seed in new[] { 1, 2, 3 })
        {
            Assert.InRange(Pr(Make(seed, EcgCondition.SinusRhythm, EcgCondition.FirstDegreeAvBlock)), 0.2, 0.33);
            Assert.InRange(Pr(Make(seed, EcgCondition.SinusRhythm)), 0.11, 0.2);
        }
    }

    [Theory]
    [InlineData(EcgCondition.LeftBundleBranchBlock)]
    [InlineData(EcgCondition.RightBundleBranchBlock)]
    public void Bundle_branch_blocks_widen_the_qrs(string block)
    {
        foreach (int seed in new[] { 1, 2 })
        {
            double normal = QrsWidth(Make(seed, EcgCondition.SinusRhythm)), wide = QrsWidth(Make(seed, EcgCondition.SinusRhythm, block));
            Assert.True(wide > normal + 0.03 && wide > 0.1, $"seed {seed}: QRS {normal * 1000:F0} ms normal, {wide * 1000:F0} ms with {EcgCondition.Abbreviation(block)}");
        }
    }

    [Fact]
    public void Right_bundle_branch_block_puts_a_late_r_prime_in_v1()
    {
        var record = Make(3, EcgCondition.SinusRhythm, EcgCondition.RightBundleBranchBlock);
        double fs = record.SamplingFrequency;
        var v1 = record.Leads[6];
        int peak = RPeaks(record)[2];

        double late = Enumerable.Range(peak + (int)(0.05 * fs), (int)(0.03 * fs)).Max(i => v1[i]);

        Assert.True(late > 0.2, $"V1 at 50–80 ms after R peaks at {late:F2} mV");
    }

    [Fact]
    public void Low_qrs_voltage_keeps_every_limb_lead_under_half_a_millivolt()
    {
        static double LimbPeakToPeak(SyntheticEcgRecord r)
        {
            double fs = r.SamplingFrequency;
            return RPeaks(r).Where(p => p > 0.1 * fs && p < r.Leads[0].Length - 0.1 * fs).Max(p => r.Leads.Take(6).Max(lead =>
            {
                var window = lead.AsSpan(p - (int)(0.06 * fs), (int)(0.12 * fs)).ToArray();
                return window.Max() - window.Min();
            }));
        }

        foreach (int seed in new[] { 1, 2, 3 })
        {
            double low = LimbPeakToPeak(Make(seed, EcgCondition.SinusRhythm, EcgCondition.LowQrsVoltage)), normal = LimbPeakToPeak(Make(seed, EcgCondition.SinusRhythm));
            Assert.True(low < 0.5 && normal > 0.5, $"seed {seed}: largest limb-lead QRS {low:F2} mV with low voltage, {normal:F2} mV without");
        }
    }

    [Fact]
    public void Pvcs_come_early_and_are_followed_by_a_pause()
    {
        var rr = Intervals(Make(2, EcgCondition.SinusRhythm, EcgCondition.PrematureVentricularContraction));
        double median = rr.Order().ElementAt(rr.Length / 2);

        int early = Array.FindIndex(rr, x => x < 0.75 * median);

        Assert.True(early >= 0 && early + 1 < rr.Length, $"no premature beat in RR {string.Join(", ", rr.Select(x => x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(rr[early + 1] > 1.2 * median);
    }

    [Fact]
    public void Drawn_labels_have_one_rhythm_and_are_all_scored_by_the_challenge()
    {
        var challenge = ChallengeScore.Load(Path.Combine("data", "challenge2021", "weights.csv"));
        string[] rhythms = [EcgCondition.SinusRhythm, EcgCondition.SinusBradycardia, EcgCondition.SinusTachycardia, EcgCondition.AtrialFibrillation];

        var records = Enumerable.Range(0, 200).Select(s => SyntheticEcg.Generate(s, new SyntheticEcgOptions { Seconds = 1 })).ToList();

        Assert.All(records, r => Assert.Single(r.Codes, rhythms.Contains));
        Assert.All(EcgCondition.All, code => Assert.NotNull(challenge.ClassOf(code)));
        Assert.All(EcgCondition.All, code => Assert.Contains(records, r => r.Codes.Contains(code)));
    }

    [Fact]
    public void Contradictory_conditions_are_refused()
    {
        Assert.Contains("one rhythm", Assert.Throws<ArgumentException>(() => Make(1, EcgCondition.SinusRhythm, EcgCondition.AtrialFibrillation)).Message, StringComparison.Ordinal);
        Assert.Contains("P waves", Assert.Throws<ArgumentException>(() => Make(1, EcgCondition.AtrialFibrillation, EcgCondition.FirstDegreeAvBlock)).Message, StringComparison.Ordinal);
        Assert.Contains("does not model", Assert.Throws<ArgumentException>(() => Make(1, EcgCondition.SinusRhythm, "55930002")).Message, StringComparison.Ordinal);
    }
}
