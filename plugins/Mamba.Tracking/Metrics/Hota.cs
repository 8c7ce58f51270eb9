using Mamba.Tracking.Association;

namespace Mamba.Tracking.Metrics;

/// <summary>
/// HOTA (Luiten et al., IJCV 2021) as TrackEval computes it: for each localisation threshold α = 0.05…0.95, detections
/// are matched per frame by a Hungarian assignment maximising IoU weighted by the pair's global association score, then
/// DetA = TP / (TP + FN + FP), AssA = mean over true positives of the Jaccard score of their identities' matches, and
/// HOTA(α) = √(DetA · AssA). Reported figures are means over α. Counts add over sequences (<see cref="Add"/>).
/// </summary>
public sealed class Hota
{
    /// <summary>The 19 thresholds α.</summary>
    public static readonly double[] Alphas = [.. Enumerable.Range(1, 19).Select(k => k * 0.05)];

    private readonly double[] tp = new double[19], fn = new double[19], fp = new double[19];
    private readonly double[] assA = new double[19], assRe = new double[19], assPr = new double[19], loc = new double[19];

    /// <summary>HOTA of one sequence.</summary>
    public static Hota Of(SequenceMatching sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var result = new Hota();
        int g = sequence.TruthIds, t = sequence.TrackIds;
        if (sequence.TrackCount == 0 || sequence.TruthCount == 0)
        {
            for (int a = 0; a < 19; a++) { result.fn[a] = sequence.TruthCount; result.fp[a] = sequence.TrackCount; }
            return result;
        }

        // Soft count of how often each identity pair overlaps, normalised per frame like an IoU over the frame's
        // pairs, then the identities' global Jaccard alignment.
        var potential = new double[g, t];
        var truthCount = new double[g];
        var trackCount = new double[t];
        foreach (var frame in sequence.Frames)
        {
            var (rows, columns) = (frame.Truth.Length, frame.Tracks.Length);
            var rowSum = new double[rows];
            var columnSum = new double[columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++) { rowSum[i] += frame.Iou[i, j]; columnSum[j] += frame.Iou[i, j]; }
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++)
                {
                    double denominator = rowSum[i] + columnSum[j] - frame.Iou[i, j];
                    if (denominator > double.Epsilon) potential[frame.Truth[i], frame.Tracks[j]] += frame.Iou[i, j] / denominator;
                }
            foreach (int id in frame.Truth) truthCount[id]++;
            foreach (int id in frame.Tracks) trackCount[id]++;
        }
        var alignment = new double[g, t];
        for (int i = 0; i < g; i++)
            for (int j = 0; j < t; j++) alignment[i, j] = potential[i, j] / (truthCount[i] + trackCount[j] - potential[i, j]);

        var matches = new double[19][,];
        for (int a = 0; a < 19; a++) matches[a] = new double[g, t];
        foreach (var frame in sequence.Frames)
        {
            var (rows, columns) = (frame.Truth.Length, frame.Tracks.Length);
            if (rows == 0 || columns == 0)
            {
                for (int a = 0; a < 19; a++) { result.fn[a] += rows; result.fp[a] += columns; }
                continue;
            }
            var score = new double[rows, columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++) score[i, j] = alignment[frame.Truth[i], frame.Tracks[j]] * frame.Iou[i, j];
            var pairs = LinearAssignment.Maximise(score);
            for (int a = 0; a < 19; a++)
            {
                int matched = 0;
                foreach (var (i, j) in pairs)
                {
                    if (frame.Iou[i, j] < Alphas[a] - 1e-12) continue;
                    matched++;
                    result.loc[a] += frame.Iou[i, j];
                    matches[a][frame.Truth[i], frame.Tracks[j]]++;
                }
                result.tp[a] += matched;
                result.fn[a] += rows - matched;
                result.fp[a] += columns - matched;
            }
        }

        // Accumulated as sums over true positives so that sequences combine by addition.
        for (int a = 0; a < 19; a++)
            for (int i = 0; i < g; i++)
                for (int j = 0; j < t; j++)
                {
                    double m = matches[a][i, j];
                    if (m == 0) continue;
                    result.assA[a] += m * m / Math.Max(1, truthCount[i] + trackCount[j] - m);
                    result.assRe[a] += m * m / Math.Max(1, truthCount[i]);
                    result.assPr[a] += m * m / Math.Max(1, trackCount[j]);
                }
        return result;
    }

    /// <summary>Adds another sequence's counts (TrackEval's combination over sequences).</summary>
    public void Add(Hota other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int a = 0; a < 19; a++)
        {
            tp[a] += other.tp[a]; fn[a] += other.fn[a]; fp[a] += other.fp[a];
            assA[a] += other.assA[a]; assRe[a] += other.assRe[a]; assPr[a] += other.assPr[a]; loc[a] += other.loc[a];
        }
    }

    /// <summary>HOTA(α) for each α.</summary>
    public double[] HotaAt => [.. Enumerable.Range(0, 19).Select(a => Math.Sqrt(DetAAt(a) * AssAAt(a)))];

    /// <summary>Mean HOTA over α.</summary>
    public double Score => HotaAt.Average();

    /// <summary>Mean detection accuracy over α.</summary>
    public double DetA => Enumerable.Range(0, 19).Average(DetAAt);

    /// <summary>Mean association accuracy over α.</summary>
    public double AssA => Enumerable.Range(0, 19).Average(AssAAt);

    /// <summary>Mean detection recall over α.</summary>
    public double DetRe => Enumerable.Range(0, 19).Average(a => tp[a] / Math.Max(1, tp[a] + fn[a]));

    /// <summary>Mean detection precision over α.</summary>
    public double DetPr => Enumerable.Range(0, 19).Average(a => tp[a] / Math.Max(1, tp[a] + fp[a]));

    /// <summary>Mean association recall over α.</summary>
    public double AssRe => Enumerable.Range(0, 19).Average(a => assRe[a] / Math.Max(1, tp[a]));

    /// <summary>Mean association precision over α.</summary>
    public double AssPr => Enumerable.Range(0, 19).Average(a => assPr[a] / Math.Max(1, tp[a]));

    /// <summary>Mean localisation accuracy (IoU of true positives) over α.</summary>
    public double LocA => Enumerable.Range(0, 19).Average(a => Math.Max(1e-10, loc[a]) / Math.Max(1e-10, tp[a]));

    private double DetAAt(int a) => tp[a] / Math.Max(1, tp[a] + fn[a] + fp[a]);

    private double AssAAt(int a) => assA[a] / Math.Max(1, tp[a]);
}
