using Mamba.Tracking.Data;

namespace Mamba.Tracking.Metrics;

/// <summary>
/// Ground truth and tracker output of one sequence, frame by frame, with identities renumbered 0…G−1 and 0…T−1 and
/// the IoU of every (ground truth, tracker) pair per frame: what the metrics read (TrackEval's preprocessed form).
/// Ground-truth rows with confidence 0 or a class other than 1 are not evaluated.
/// </summary>
public sealed class SequenceMatching
{
    private SequenceMatching(int truthIds, int trackIds, List<Frame> frames)
    {
        TruthIds = truthIds;
        TrackIds = trackIds;
        Frames = frames;
    }

    /// <summary>Distinct ground-truth identities (G).</summary>
    public int TruthIds { get; }

    /// <summary>Distinct tracker identities (T).</summary>
    public int TrackIds { get; }

    /// <summary>Every frame that has a ground-truth box or a tracker box, in order.</summary>
    public IReadOnlyList<Frame> Frames { get; }

    /// <summary>Ground-truth boxes evaluated.</summary>
    public int TruthCount => Frames.Sum(f => f.Truth.Length);

    /// <summary>Tracker boxes evaluated.</summary>
    public int TrackCount => Frames.Sum(f => f.Tracks.Length);

    /// <summary>Groups the rows by frame and computes the IoUs.</summary>
    public static SequenceMatching Build(IEnumerable<MotRow> truth, IEnumerable<MotRow> tracks)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(tracks);
        var evaluated = truth.Where(r => r.Confidence != 0 && (r.Class == -1 || r.Class == 1)).ToList();
        var trackRows = tracks.ToList();
        var truthIndex = Renumber(evaluated);
        var trackIndex = Renumber(trackRows);
        var byFrameTruth = evaluated.ToLookup(r => r.Frame);
        var byFrameTracks = trackRows.ToLookup(r => r.Frame);
        var frames = new List<Frame>();
        foreach (int frame in byFrameTruth.Select(g => g.Key).Union(byFrameTracks.Select(g => g.Key)).Order())
        {
            var t = byFrameTruth[frame].ToArray();
            var p = byFrameTracks[frame].ToArray();
            var iou = new double[t.Length, p.Length];
            for (int i = 0; i < t.Length; i++)
                for (int j = 0; j < p.Length; j++) iou[i, j] = t[i].Box.Iou(p[j].Box);
            frames.Add(new Frame(frame, [.. t.Select(r => truthIndex[r.Id])], [.. p.Select(r => trackIndex[r.Id])], iou));
        }
        return new SequenceMatching(truthIndex.Count, trackIndex.Count, frames);
    }

    private static Dictionary<int, int> Renumber(List<MotRow> rows)
    {
        var index = new Dictionary<int, int>();
        foreach (int id in rows.Select(r => r.Id).Distinct().Order()) index[id] = index.Count;
        return index;
    }

    /// <summary>One frame: renumbered identities and the (truth × tracks) IoU matrix.</summary>
    public sealed record Frame(int Number, int[] Truth, int[] Tracks, double[,] Iou);
}
