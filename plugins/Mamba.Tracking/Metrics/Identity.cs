using Mamba.Tracking.Association;

namespace Mamba.Tracking.Metrics;

/// <summary>
/// Identity metrics (Ristani et al. 2016) as TrackEval computes them: ground-truth and tracker identities are matched
/// one to one over the whole sequence so as to maximise the boxes they share at IoU ≥ 0.5 (IDTP);
/// IDF1 = IDTP / (IDTP + ½ IDFP + ½ IDFN).
/// </summary>
public sealed class Identity
{
    private const double Threshold = 0.5;

    /// <summary>Boxes whose matched identities agree.</summary>
    public int IdTruePositives { get; private set; }

    /// <summary>Ground-truth boxes not covered by their matched tracker identity.</summary>
    public int IdFalseNegatives { get; private set; }

    /// <summary>Tracker boxes not covering their matched ground-truth identity.</summary>
    public int IdFalsePositives { get; private set; }

    /// <summary>Identity F1.</summary>
    public double Idf1 => IdTruePositives / Math.Max(1, IdTruePositives + 0.5 * IdFalsePositives + 0.5 * IdFalseNegatives);

    /// <summary>Identity recall.</summary>
    public double Idr => IdTruePositives / (double)Math.Max(1, IdTruePositives + IdFalseNegatives);

    /// <summary>Identity precision.</summary>
    public double Idp => IdTruePositives / (double)Math.Max(1, IdTruePositives + IdFalsePositives);

    /// <summary>Identity metrics of one sequence.</summary>
    public static Identity Of(SequenceMatching sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var shared = new double[sequence.TruthIds, sequence.TrackIds];
        foreach (var frame in sequence.Frames)
            for (int i = 0; i < frame.Truth.Length; i++)
                for (int j = 0; j < frame.Tracks.Length; j++)
                    if (frame.Iou[i, j] >= Threshold) shared[frame.Truth[i], frame.Tracks[j]]++;
        // Minimising IDFN + IDFP over one-to-one identity matchings is maximising the shared boxes.
        int idtp = (int)LinearAssignment.Maximise(shared).Sum(p => shared[p.Row, p.Column]);
        return new Identity
        {
            IdTruePositives = idtp,
            IdFalseNegatives = sequence.TruthCount - idtp,
            IdFalsePositives = sequence.TrackCount - idtp,
        };
    }

    /// <summary>Adds another sequence's counts.</summary>
    public void Add(Identity other)
    {
        ArgumentNullException.ThrowIfNull(other);
        IdTruePositives += other.IdTruePositives;
        IdFalseNegatives += other.IdFalseNegatives;
        IdFalsePositives += other.IdFalsePositives;
    }
}
