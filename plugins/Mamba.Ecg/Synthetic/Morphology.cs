using static Mamba.Ecg.Synthetic.SyntheticEcg;

namespace Mamba.Ecg.Synthetic;

/// <summary>
/// One record's wave shapes: times relative to the R peak, widths, amplitudes and heart-vector directions, drawn once per
/// record (per-record variation) and shaped by its conditions.
/// </summary>
internal sealed class Morphology
{
    private readonly List<(double Offset, double Width, double Amplitude, Vector3 Direction)> qrs = [];
    private readonly List<(double Offset, double Width, double Amplitude, Vector3 Direction)> ectopic = [];
    private double pr, pWidth, pAmplitude, tAmplitude, tWidth;
    private Vector3 pDirection, tDirection, ectopicT;
    private bool hasP;

    public static Morphology For(IReadOnlyCollection<string> codes, Random random)
    {
        var m = new Morphology();
        double Vary() => Uniform(random, 0.8, 1.2);
        double voltage = codes.Contains(EcgCondition.LowQrsVoltage) ? Uniform(random, 0.18, 0.28) : 1;   // every limb-lead QRS under 0.5 mV
        m.hasP = !codes.Contains(EcgCondition.AtrialFibrillation);
        m.pr = codes.Contains(EcgCondition.FirstDegreeAvBlock) ? Uniform(random, 0.23, 0.32) : Uniform(random, 0.13, 0.18);
        m.pWidth = Uniform(random, 0.018, 0.026);
        m.pAmplitude = 0.15 * Vary();
        m.pDirection = new Vector3(0.5, 0.8, 0.25).Jitter(random, 0.1);
        var main = new Vector3(0.55, 0.75, -0.35).Jitter(random, 0.12);
        if (codes.Contains(EcgCondition.LeftBundleBranchBlock))
        {
            // Septum activated right to left (no septal q), slow leftward-posterior activation: broad, notched R.
            var left = new Vector3(0.9, 0.25, -0.6).Jitter(random, 0.08);
            m.qrs.Add((0, Uniform(random, 0.024, 0.028), 1.0 * Vary() * voltage, left));
            m.qrs.Add((Uniform(random, 0.042, 0.05), Uniform(random, 0.02, 0.024), 0.75 * Vary() * voltage, left));
            m.tDirection = -left;
            m.tAmplitude = 0.3 * Vary();
        }
        else
        {
            m.qrs.Add((-0.022, 0.008, 0.15 * Vary() * voltage, new Vector3(-0.6, 0.2, 0.8).Jitter(random, 0.08)));
            m.qrs.Add((0, Uniform(random, 0.008, 0.0105), 1.1 * Vary() * voltage, main));
            m.qrs.Add((0.028, 0.01, 0.35 * Vary() * voltage, new Vector3(-0.45, -0.55, -0.6).Jitter(random, 0.08)));
            if (codes.Contains(EcgCondition.RightBundleBranchBlock))
                m.qrs.Add((Uniform(random, 0.075, 0.085), Uniform(random, 0.02, 0.024), 0.6 * Vary() * voltage, new Vector3(-0.55, 0, 0.85).Jitter(random, 0.08)));
            m.tDirection = new Vector3(0.55, 0.65, 0.45).Jitter(random, 0.1);
            m.tAmplitude = 0.3 * Vary();
        }
        m.tWidth = Uniform(random, 0.04, 0.05);
        // Ectopic focus: one wide QRS along a random direction, with a discordant T.
        var focus = new Vector3(Normal(random), Normal(random), Normal(random));
        double norm = Math.Sqrt(focus.Dot(focus));
        focus = new Vector3(focus.X / norm, focus.Y / norm, focus.Z / norm);
        m.ectopic.Add((0, Uniform(random, 0.03, 0.04), 1.4 * Vary() * voltage, focus));
        m.ectopicT = -focus;
        return m;
    }

    public IEnumerable<Wave> Waves(Beat beat, Random random)
    {
        double breathing = 1 + 0.03 * Normal(random);
        if (beat.Ventricular)
        {
            foreach (var (offset, width, amplitude, direction) in ectopic) yield return new Wave(beat.Time + offset, width, amplitude * breathing, direction);
            yield return new Wave(beat.Time + 0.32, 0.06, 0.4, ectopicT);
            yield break;
        }
        if (hasP) yield return new Wave(beat.Time - pr, pWidth, pAmplitude, pDirection);
        foreach (var (offset, width, amplitude, direction) in qrs) yield return new Wave(beat.Time + offset, width, amplitude * breathing, direction);
        double stretch = Math.Sqrt(Math.Clamp(beat.Interval, 0.3, 2));            // Bazett: QT grows with √RR
        yield return new Wave(beat.Time + 0.28 * stretch, tWidth * stretch, tAmplitude, tDirection);
    }
}
