using Mamba.Tracking.Association;
using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;
using Mamba.Tracking.Motion;

namespace Mamba.Tracking.Tracking;

/// <summary>
/// Tracking by detection with ByteTrack's two-stage association (Zhang et al., ECCV 2022): tracked and lost tracks are
/// matched to high-score detections, tracks still unmatched to low-score ones, by optimal assignment on IoU with the
/// motion model's predictions. Life cycle: tentative (one frame) → confirmed → lost (up to a buffer) → removed.
/// Outputs are the matched detection boxes, so motion models are compared on association alone.
/// </summary>
public sealed class ByteTracker(IMotionModel motion, TrackerOptions options)
{
    private readonly List<Track> tracks = [];
    private readonly List<MotRow> output = [];
    private int nextId = 1;

    /// <summary>Track boxes written so far (including patched gaps), as MOTChallenge rows.</summary>
    public IReadOnlyList<MotRow> Output => output;

    /// <summary>Tracks the detections of one frame (frames must come in increasing order).</summary>
    public void Step(int frame, IReadOnlyList<MotRow> detections)
    {
        ArgumentNullException.ThrowIfNull(detections);
        tracks.RemoveAll(t => t.Status == TrackStatus.Lost && frame - t.LastSeen > options.MaxLostFrames);
        motion.Predict([.. tracks.Select(t => t.Motion)]);
        foreach (var track in tracks.Where(t => t.Status == TrackStatus.Lost)) track.Gap.Add(track.Motion.Predicted);

        var high = detections.Where(d => d.Confidence >= options.HighScore).ToList();
        var low = detections.Where(d => d.Confidence > options.LowScore && d.Confidence < options.HighScore).ToList();

        // First association: confirmed and lost tracks with high-score detections.
        var pool = tracks.Where(t => t.Status is TrackStatus.Confirmed or TrackStatus.Lost).ToList();
        var (matched, unmatchedTracks, unmatchedHigh) = Associate(pool, high, options.FirstIou);
        foreach (var (track, detection) in matched) Confirm(track, detection, frame);

        // Second association: tracks that were being tracked, with the low-score detections.
        var stillTracked = unmatchedTracks.Where(t => t.Status == TrackStatus.Confirmed).ToList();
        var (second, unmatchedSecond, _) = Associate(stillTracked, low, options.SecondIou);
        foreach (var (track, detection) in second) Confirm(track, detection, frame);
        foreach (var track in unmatchedSecond)
        {
            track.Status = TrackStatus.Lost;
            track.Gap.Clear();
            track.Gap.Add(track.Motion.Predicted);
        }

        // Tentative tracks from the previous frame are confirmed by a remaining high-score detection or dropped.
        var tentative = tracks.Where(t => t.Status == TrackStatus.Tentative).ToList();
        var (confirmed, unconfirmed, remaining) = Associate(tentative, unmatchedHigh, options.TentativeIou);
        foreach (var (track, detection) in confirmed) Confirm(track, detection, frame);
        foreach (var track in unconfirmed) tracks.Remove(track);

        foreach (var detection in remaining.Where(d => d.Confidence >= options.NewTrackScore))
        {
            var track = new Track(nextId++, motion.Start(detection.Box), frame) { Status = TrackStatus.Tentative };
            tracks.Add(track);
            if (frame == 1) { track.Status = TrackStatus.Confirmed; output.Add(new MotRow(frame, track.Id, detection.Box, detection.Confidence)); }
        }
    }

    private void Confirm(Track track, MotRow detection, int frame)
    {
        // The gap holds a prediction for every frame since the track was lost, this one last.
        if (track.Status == TrackStatus.Lost && options.PatchGaps)
            for (int k = 0; k < track.Gap.Count - 1; k++) output.Add(new MotRow(track.LastSeen + 1 + k, track.Id, track.Gap[k], 0));
        track.Motion.Update(detection.Box);
        track.Status = TrackStatus.Confirmed;
        track.Gap.Clear();
        track.LastSeen = frame;
        output.Add(new MotRow(frame, track.Id, detection.Box, detection.Confidence));
    }

    private static (List<(Track, MotRow)> Matched, List<Track> Tracks, List<MotRow> Detections) Associate(List<Track> pool, List<MotRow> detections, double minimumIou)
    {
        // Pairs under the threshold score 0, so they never displace an admissible pair (ByteTrack's cost limit).
        var iou = new double[pool.Count, detections.Count];
        for (int i = 0; i < pool.Count; i++)
            for (int j = 0; j < detections.Count; j++)
            {
                double overlap = pool[i].Motion.Predicted.Iou(detections[j].Box);
                iou[i, j] = overlap >= minimumIou ? overlap : 0;
            }
        var pairs = LinearAssignment.Maximise(iou).Where(p => iou[p.Row, p.Column] > 0).ToList();
        var matched = pairs.Select(p => (pool[p.Row], detections[p.Column])).ToList();
        var trackSet = pairs.Select(p => p.Row).ToHashSet();
        var detectionSet = pairs.Select(p => p.Column).ToHashSet();
        return (matched,
            [.. pool.Where((_, i) => !trackSet.Contains(i))],
            [.. detections.Where((_, j) => !detectionSet.Contains(j))]);
    }

    private enum TrackStatus { Tentative, Confirmed, Lost }

    private sealed class Track(int id, IMotionState motion, int frame)
    {
        public int Id { get; } = id;

        public IMotionState Motion { get; } = motion;

        public TrackStatus Status { get; set; }

        public int LastSeen { get; set; } = frame;

        public List<Box> Gap { get; } = [];
    }
}
