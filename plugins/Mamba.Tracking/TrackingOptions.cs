using System.ComponentModel.DataAnnotations;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Tracking;
using Mamba.Tracking.Training;
using Mamba.Sdk.Jobs;

namespace Mamba.Tracking;

/// <summary>Synthetic scenes: how many for training, validation and testing, and their seed.</summary>
public sealed class SyntheticOptions
{
    /// <summary>Training scenes (seeds seed + 0…).</summary>
    [Range(1, 10_000)]
    public int TrainSequences { get; set; } = 12;

    /// <summary>Validation scenes for model selection (seeds seed + 1000…).</summary>
    [Range(1, 10_000)]
    public int ValidationSequences { get; set; } = 2;

    /// <summary>Held-out test scenes (seeds seed + 2000…).</summary>
    [Range(1, 10_000)]
    public int TestSequences { get; set; } = 4;

    /// <summary>Base seed.</summary>
    public int Seed { get; set; }

    /// <summary>Scene settings.</summary>
    public SceneOptions Scene { get; set; } = new();
}

/// <summary>The <c>forecast</c> task's single trajectory.</summary>
public sealed class TrajectoryOptions
{
    /// <summary>CSV with <c>time_utc</c>, <c>x_m</c>, <c>y_m</c>, relative to the job file.</summary>
    [JobPath(JobPathKind.File)]
    public string? Path { get; set; }

    /// <summary>Seconds between points; other spacings cut the track into segments.</summary>
    [Range(1e-3, 3600)]
    public double Step { get; set; } = 1;

    /// <summary>Chronological share of points for training.</summary>
    [Range(0.05, 0.95)]
    public double Train { get; set; } = 0.7;

    /// <summary>The next share, for model selection (predictor epochs, Kalman noise).</summary>
    [Range(0.01, 0.9)]
    public double Validation { get; set; } = 0.1;

    /// <summary>Steps ahead to forecast.</summary>
    [Range(1, 1000)]
    public int Horizon { get; set; } = 10;
}

/// <summary>Options of the tracking plugin's tasks.</summary>
public sealed class TrackingJobOptions
{
    /// <summary>Synthetic scenes (training always; testing unless <see cref="Sequences"/> is set).</summary>
    public SyntheticOptions Synthetic { get; set; } = new();

    /// <summary>A folder of MOTChallenge sequences (<c>&lt;name&gt;/seqinfo.ini</c>, <c>det/det.txt</c>, <c>gt/gt.txt</c>) to track or evaluate on.</summary>
    [JobPath(JobPathKind.Directory)]
    public string? Sequences { get; set; }

    /// <summary>
    /// A folder of MOTChallenge sequences whose ground truth (<c>gt/gt.txt</c>) trains the Mamba predictor instead of
    /// synthetic scenes; every fifth track of each sequence (by id) is held out for validation.
    /// </summary>
    [JobPath(JobPathKind.Directory)]
    public string? TrainSequences { get; set; }

    /// <summary><c>forecast</c>: the trajectory.</summary>
    [UsedBy("forecast")]
    public TrajectoryOptions Trajectory { get; set; } = new();

    /// <summary>Association settings.</summary>
    public TrackerOptions Tracker { get; set; } = new();

    /// <summary>The Mamba motion predictor.</summary>
    public MotionPredictorOptions Predictor { get; set; } = new();

    /// <summary>Its training.</summary>
    public MotionTrainingOptions Training { get; set; } = new();

    /// <summary>
    /// The motion model, <c>mamba</c> or <c>kalman</c>: the one <c>track</c> uses; <c>evaluate</c> scores Mamba against
    /// the Kalman filter, or with <c>kalman</c> the filter alone, training no predictor.
    /// </summary>
    [RegularExpression("^(mamba|kalman)$", ErrorMessage = "motion must be 'mamba' or 'kalman'")]
    public string Motion { get; set; } = "mamba";

    /// <summary>
    /// The run folder of an earlier <c>train</c> job whose predictor to use instead of training one, or a reference to
    /// it (<c>run:&lt;job&gt;/latest</c>).
    /// </summary>
    [JobPath(JobPathKind.Directory)]
    public string? Weights { get; set; }
}
