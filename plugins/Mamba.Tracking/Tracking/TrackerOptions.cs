using System.ComponentModel.DataAnnotations;

namespace Mamba.Tracking.Tracking;

/// <summary>ByteTrack's association settings (its published defaults).</summary>
public sealed record TrackerOptions
{
    /// <summary>Detections at or above this score are high-confidence: first association, may start tracks.</summary>
    [Range(0.0, 1.0)]
    public double HighScore { get; init; } = 0.6;

    /// <summary>Detections above this score and below <see cref="HighScore"/> serve the second association only.</summary>
    [Range(0.0, 1.0)]
    public double LowScore { get; init; } = 0.1;

    /// <summary>A new track needs a detection at least this confident.</summary>
    [Range(0.0, 1.0)]
    public double NewTrackScore { get; init; } = 0.7;

    /// <summary>Minimum IoU with the prediction in the first association (ByteTrack's match threshold 0.8 as 1 − IoU).</summary>
    [Range(0.0, 1.0)]
    public double FirstIou { get; init; } = 0.2;

    /// <summary>Minimum IoU in the second association (low-score detections).</summary>
    [Range(0.0, 1.0)]
    public double SecondIou { get; init; } = 0.5;

    /// <summary>Minimum IoU for confirming a tentative track in its second frame.</summary>
    [Range(0.0, 1.0)]
    public double TentativeIou { get; init; } = 0.3;

    /// <summary>Frames a lost track is kept for re-association (ByteTrack's buffer of 30 at 30 fps).</summary>
    [Range(1, 10_000)]
    public int MaxLostFrames { get; init; } = 30;

    /// <summary>
    /// Tracklet patching (MambaTrack): when a lost track is found again, the frames it was lost are filled with the
    /// motion model's predictions for them.
    /// </summary>
    public bool PatchGaps { get; init; } = true;
}
