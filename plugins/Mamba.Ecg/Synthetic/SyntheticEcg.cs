using Mamba.Core.Training;

namespace Mamba.Ecg.Synthetic;

/// <summary>Settings of the synthetic 12-lead generator.</summary>
public sealed record SyntheticEcgOptions
{
    /// <summary>Samples per second.</summary>
    public double SamplingFrequency { get; init; } = 500;

    /// <summary>Record length in seconds.</summary>
    public double Seconds { get; init; } = 10;

    /// <summary>Add measurement noise, baseline wander and mains interference (off for exact morphology checks).</summary>
    public bool Noise { get; init; } = true;
}

/// <summary>A generated record: 12 leads in mV (I, II, III, aVR, aVL, aVF, V1–V6) and its SNOMED CT labels. Synthetic.</summary>
public sealed record SyntheticEcgRecord(string Id, IReadOnlyList<string> Codes, float[][] Leads, double SamplingFrequency);

/// <summary>
/// Synthetic 12-lead ECGs in the McSharry/ECGSYN tradition: every beat is a sum of Gaussian waves (P, Q, R, S, T) at
/// fixed phases of the RR interval, the RR series carries respiratory and Mayer-wave variability, and each wave has a
/// 3-D heart-vector direction projected onto the 12 lead axes (frontal plane for the limb leads, horizontal plane for
/// V1–V6), so leads stay mutually consistent. Conditions change the rhythm (rate, RR irregularity, P waves, fibrillatory
/// activity, premature beats) or the morphology (PR interval, QRS width and axis, voltage). Deterministic by seed.
/// Not real data: every record it makes must be labelled synthetic.
/// </summary>
public static class SyntheticEcg
{
    /// <summary>Lead names in output order.</summary>
    public static IReadOnlyList<string> LeadNames { get; } = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"];

    // Lead axes in (left, inferior, anterior) coordinates; the precordial leads see the horizontal plane more strongly.
    private static readonly Vector3[] LeadAxes =
    [
        new(1, 0, 0), new(0.5, 0.866, 0), new(-0.5, 0.866, 0), new(-0.75, -0.433, 0), new(0.75, -0.433, 0), new(0, 0.866, 0),
        new(-0.6, 0.1, 1.0), new(-0.15, 0.1, 1.2), new(0.35, 0.15, 1.1), new(0.8, 0.2, 0.8), new(1.1, 0.2, 0.4), new(1.15, 0.2, 0.1),
    ];

    /// <summary>A record with conditions drawn at random (one rhythm; optional AV block, bundle branch block, PVCs, low voltage).</summary>
    public static SyntheticEcgRecord Generate(int seed, SyntheticEcgOptions? options = null)
    {
        var random = new Random(seed);
        var codes = new List<string>();
        double rhythm = random.NextDouble();
        codes.Add(rhythm < 0.4 ? EcgCondition.SinusRhythm : rhythm < 0.55 ? EcgCondition.SinusBradycardia : rhythm < 0.7 ? EcgCondition.SinusTachycardia : EcgCondition.AtrialFibrillation);
        if (codes[0] != EcgCondition.AtrialFibrillation && random.NextDouble() < 0.2) codes.Add(EcgCondition.FirstDegreeAvBlock);
        double block = random.NextDouble();
        if (block < 0.12) codes.Add(EcgCondition.LeftBundleBranchBlock);
        else if (block < 0.27) codes.Add(EcgCondition.RightBundleBranchBlock);
        if (random.NextDouble() < 0.2) codes.Add(EcgCondition.PrematureVentricularContraction);
        if (random.NextDouble() < 0.15) codes.Add(EcgCondition.LowQrsVoltage);
        return Generate(codes, seed, options);
    }

    /// <summary>A record with exactly the conditions <paramref name="codes"/> (one rhythm among NSR, SB, STach, AF).</summary>
    public static SyntheticEcgRecord Generate(IReadOnlyCollection<string> codes, int seed, SyntheticEcgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(codes);
        options ??= new SyntheticEcgOptions();
        var unknown = codes.Where(c => !EcgCondition.All.Contains(c)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"the generator does not model {string.Join(", ", unknown)}", nameof(codes));
        int rhythms = codes.Count(c => c is EcgCondition.SinusRhythm or EcgCondition.SinusBradycardia or EcgCondition.SinusTachycardia or EcgCondition.AtrialFibrillation);
        if (rhythms != 1) throw new ArgumentException("a record needs exactly one rhythm: sinus rhythm, sinus bradycardia, sinus tachycardia or atrial fibrillation", nameof(codes));
        if (codes.Contains(EcgCondition.AtrialFibrillation) && codes.Contains(EcgCondition.FirstDegreeAvBlock))
            throw new ArgumentException("first-degree AV block needs P waves, which atrial fibrillation does not have", nameof(codes));
        if (codes.Contains(EcgCondition.LeftBundleBranchBlock) && codes.Contains(EcgCondition.RightBundleBranchBlock))
            throw new ArgumentException("a record has at most one bundle branch block", nameof(codes));

        var random = new Random(DerivedSeed.Of(seed, 0x5EC6));
        int n = (int)Math.Round(options.Seconds * options.SamplingFrequency);
        var leads = Enumerable.Range(0, LeadAxes.Length).Select(_ => new double[n]).ToArray();
        var morphology = Morphology.For(codes, random);
        foreach (var beat in Beats(codes, options.Seconds, random))
            foreach (var wave in morphology.Waves(beat, random)) Add(leads, wave, options.SamplingFrequency);
        if (codes.Contains(EcgCondition.AtrialFibrillation)) AddFibrillation(leads, options.SamplingFrequency, random);
        if (options.Noise) AddNoise(leads, options.SamplingFrequency, random);
        return new SyntheticEcgRecord(FormattableString.Invariant($"synthetic-{seed}"), [.. EcgCondition.All.Where(codes.Contains)],
            [.. leads.Select(l => l.Select(v => (float)v).ToArray())], options.SamplingFrequency);
    }

    /// <summary>R-peak times (s) with their kind: the RR series of the rhythm, premature beats inserted.</summary>
    private static List<Beat> Beats(IReadOnlyCollection<string> codes, double seconds, Random random)
    {
        bool af = codes.Contains(EcgCondition.AtrialFibrillation);
        double rate = codes.Contains(EcgCondition.SinusBradycardia) ? Uniform(random, 40, 56)
            : codes.Contains(EcgCondition.SinusTachycardia) ? Uniform(random, 106, 150)
            : af ? Uniform(random, 70, 130) : Uniform(random, 62, 98);
        double rr = 60 / rate, respiration = Uniform(random, 0.2, 0.35), phase = Uniform(random, 0, 2 * Math.PI);
        double pvcShare = codes.Contains(EcgCondition.PrematureVentricularContraction) ? Uniform(random, 0.1, 0.25) : 0;
        var beats = new List<Beat>();
        double t = Uniform(random, 0.1, 0.6);
        bool pvcPlaced = false;
        while (t < seconds + 1)
        {
            double interval = af
                ? rr * Math.Clamp(1 + 0.25 * Normal(random), 0.55, 1.7)
                : rr * (1 + 0.04 * Math.Sin(2 * Math.PI * respiration * t + phase) + 0.02 * Math.Sin(2 * Math.PI * 0.1 * t) + 0.01 * Normal(random));
            beats.Add(new Beat(t, interval, Ventricular: false));
            // A PVC falls early in the next interval and is followed by a compensatory pause; at least one per record.
            bool ectopic = pvcShare > 0 && t > 1 && (random.NextDouble() < pvcShare || (!pvcPlaced && t > seconds / 2));
            if (ectopic && t + 2 * interval < seconds + 1)
            {
                beats.Add(new Beat(t + 0.6 * interval, interval, Ventricular: true));
                pvcPlaced = true;
                t += 2 * interval;
            }
            else
            {
                t += interval;
            }
        }
        return beats;
    }

    private static void Add(double[][] leads, Wave wave, double fs)
    {
        int from = Math.Max(0, (int)((wave.Time - 4 * wave.Width) * fs)), to = Math.Min(leads[0].Length - 1, (int)((wave.Time + 4 * wave.Width) * fs) + 1);
        for (int l = 0; l < leads.Length; l++)
        {
            double amplitude = wave.Amplitude * LeadAxes[l].Dot(wave.Direction);
            for (int i = from; i <= to; i++)
            {
                double d = (i / fs - wave.Time) / wave.Width;
                leads[l][i] += amplitude * Math.Exp(-0.5 * d * d);
            }
        }
    }

    /// <summary>Fibrillatory waves: two drifting 4–9 Hz oscillations along an atrial direction, about 0.05 mV.</summary>
    private static void AddFibrillation(double[][] leads, double fs, Random random)
    {
        var direction = new Vector3(0.3, 0.6, 0.7);
        double f1 = Uniform(random, 4, 6), f2 = Uniform(random, 6, 9), p1 = Uniform(random, 0, 6.3), p2 = Uniform(random, 0, 6.3), size = Uniform(random, 0.03, 0.07);
        for (int i = 0; i < leads[0].Length; i++)
        {
            double t = i / fs;
            double value = size * (Math.Sin(2 * Math.PI * f1 * t + p1 + 0.5 * Math.Sin(0.7 * t)) + 0.6 * Math.Sin(2 * Math.PI * f2 * t + p2));
            for (int l = 0; l < leads.Length; l++) leads[l][i] += value * LeadAxes[l].Dot(direction);
        }
    }

    /// <summary>White noise (10–30 µV), baseline wander (0.1–0.3 Hz, up to 0.3 mV) and, in half the records, 50/60 Hz mains hum.</summary>
    private static void AddNoise(double[][] leads, double fs, Random random)
    {
        double white = Uniform(random, 0.01, 0.03), wander = Uniform(random, 0.05, 0.3), drift = Uniform(random, 0.1, 0.3);
        double mains = random.NextDouble() < 0.5 ? Uniform(random, 0.005, 0.02) : 0, mainsHz = random.NextDouble() < 0.5 ? 50 : 60;
        for (int l = 0; l < leads.Length; l++)
        {
            double phase = Uniform(random, 0, 2 * Math.PI), scale = Uniform(random, 0.5, 1);
            for (int i = 0; i < leads[l].Length; i++)
            {
                double t = i / fs;
                leads[l][i] += white * Normal(random) + wander * scale * Math.Sin(2 * Math.PI * drift * t + phase) + mains * Math.Sin(2 * Math.PI * mainsHz * t);
            }
        }
    }

    internal static double Uniform(Random random, double low, double high) => low + (high - low) * random.NextDouble();

    internal static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>A direction in (left, inferior, anterior) heart coordinates.</summary>
internal readonly record struct Vector3(double X, double Y, double Z)
{
    public double Dot(Vector3 other) => X * other.X + Y * other.Y + Z * other.Z;

    public Vector3 Jitter(Random random, double size) =>
        new(X + size * SyntheticEcg.Normal(random), Y + size * SyntheticEcg.Normal(random), Z + size * SyntheticEcg.Normal(random));

    public static Vector3 operator -(Vector3 v) => new(-v.X, -v.Y, -v.Z);
}

/// <summary>An R peak at <see cref="Time"/> in an RR interval of <see cref="Interval"/> seconds; ventricular beats are PVCs.</summary>
internal readonly record struct Beat(double Time, double Interval, bool Ventricular);

/// <summary>A Gaussian wave: peak time (s), width σ (s), amplitude (mV along its direction) and heart-vector direction.</summary>
internal readonly record struct Wave(double Time, double Width, double Amplitude, Vector3 Direction);
