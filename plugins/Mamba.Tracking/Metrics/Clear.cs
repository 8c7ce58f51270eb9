using Mamba.Tracking.Association;

namespace Mamba.Tracking.Metrics;

/// <summary>
/// CLEAR MOT metrics (Bernardin and Stiefelhagen 2008) as TrackEval computes them: per frame, a Hungarian matching at
/// IoU ≥ 0.5 that first keeps the previous frame's pairs; an identity switch is a ground-truth object matched to a
/// different tracker identity than at its last match. MOTA = (TP − FP − IDSW) / (TP + FN).
/// </summary>
public sealed class Clear
{
    private const double Threshold = 0.5;

    /// <summary>Matched boxes.</summary>
    public int TruePositives { get; private set; }

    /// <summary>Unmatched ground-truth boxes.</summary>
    public int FalseNegatives { get; private set; }

    /// <summary>Unmatched tracker boxes.</summary>
    public int FalsePositives { get; private set; }

    /// <summary>Identity switches.</summary>
    public int IdSwitches { get; private set; }

    /// <summary>Fragmentations: times a ground-truth trajectory resumes being tracked after an interruption.</summary>
    public int Fragmentations { get; private set; }

    /// <summary>Sum of the IoU of matched pairs.</summary>
    public double OverlapSum { get; private set; }

    /// <summary>Multiple object tracking accuracy.</summary>
    public double Mota => (TruePositives - FalsePositives - IdSwitches) / (double)Math.Max(1, TruePositives + FalseNegatives);

    /// <summary>Multiple object tracking precision: mean IoU of matches.</summary>
    public double Motp => OverlapSum / Math.Max(1, TruePositives);

    /// <summary>CLEAR metrics of one sequence.</summary>
    public static Clear Of(SequenceMatching sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var result = new Clear();
        var lastMatch = new int?[sequence.TruthIds];          // for scoring switches: last tracker id, any time back
        var previousFrame = new int?[sequence.TruthIds];      // for matching: tracker id in the previous frame only
        var fragments = new int[sequence.TruthIds];
        foreach (var frame in sequence.Frames)
        {
            var (rows, columns) = (frame.Truth.Length, frame.Tracks.Length);
            if (rows == 0 || columns == 0)
            {
                // As TrackEval: a frame without tracker boxes does not end the previous frame's pairs.
                result.FalsePositives += columns;
                result.FalseNegatives += rows;
                continue;
            }
            var score = new double[rows, columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                    score[i, j] = frame.Iou[i, j] < Threshold - 1e-12 ? 0 : frame.Iou[i, j] + (previousFrame[frame.Truth[i]] == frame.Tracks[j] ? 1000 : 0);
            var matched = LinearAssignment.Maximise(score).Where(p => score[p.Row, p.Column] > 1e-12).ToArray();
            var current = new int?[sequence.TruthIds];
            foreach (var (i, j) in matched)
            {
                int truth = frame.Truth[i], track = frame.Tracks[j];
                if (lastMatch[truth] is { } last && last != track) result.IdSwitches++;
                lastMatch[truth] = track;
                current[truth] = track;
                if (previousFrame[truth] is null) fragments[truth]++;
                result.OverlapSum += frame.Iou[i, j];
            }
            previousFrame = current;
            result.TruePositives += matched.Length;
            result.FalseNegatives += rows - matched.Length;
            result.FalsePositives += columns - matched.Length;
        }
        result.Fragmentations = fragments.Where(f => f > 0).Sum(f => f - 1);
        return result;
    }

    /// <summary>Adds another sequence's counts.</summary>
    public void Add(Clear other)
    {
        ArgumentNullException.ThrowIfNull(other);
        TruePositives += other.TruePositives;
        FalseNegatives += other.FalseNegatives;
        FalsePositives += other.FalsePositives;
        IdSwitches += other.IdSwitches;
        Fragmentations += other.Fragmentations;
        OverlapSum += other.OverlapSum;
    }
}
