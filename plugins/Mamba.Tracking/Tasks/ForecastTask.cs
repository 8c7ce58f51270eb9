using System.Diagnostics;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Training;
using Mamba.Tracking.Trajectories;

namespace Mamba.Tracking.Tasks;

/// <summary>
/// Trajectory forecasting on one track: the Mamba predictor (trained on the track's first part) against a
/// constant-velocity Kalman filter (noise chosen on the validation part), mean displacement error 1…H steps ahead on
/// the last part, to <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("forecast", Description = "Mamba vs constant-velocity Kalman: displacement error 1..H steps ahead on a single track")]
public sealed class ForecastTask : JobTask<TrackingJobOptions>
{
    private static readonly double[] Accelerations = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30];
    private static readonly double[] MeasurementStds = [0.05, 0.1, 0.25, 0.5, 1, 2, 4];
    private static readonly int[] ReportedHorizons = [1, 5, 10];

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, TrackingJobOptions options, CancellationToken cancellation)
    {
        var t = options.Trajectory;
        if (t.Path is null) throw new JobOptionsException("options.trajectory.path", "forecast needs a trajectory CSV (time_utc, x_m, y_m)");
        if (t.Train + t.Validation >= 1) throw new JobOptionsException("options.trajectory", "train + validation must leave a test share");
        var clock = Stopwatch.StartNew();
        var trajectory = await Trajectory.ReadCsvAsync(context.ResolvePath(t.Path), t.Step, cancellation);
        var (train, validation, test) = trajectory.Split(t.Train, t.Validation);
        var predictorOptions = options.Predictor with { Horizon = t.Horizon };
        var trainWindows = TrajectoryForecast.Windows(train, predictorOptions.History, t.Horizon);
        var validationWindows = TrajectoryForecast.Windows(validation, predictorOptions.History, t.Horizon);
        if (trainWindows.Count == 0 || validationWindows.Count == 0)
            throw new JobOptionsException("options.trajectory", $"{trajectory.Source}: too few points for windows of {options.Predictor.History} steps in the training or validation part");
        context.Logger.LogWindows(trainWindows.Count, validationWindows.Count, "the trajectory");

        var fit = MotionTraining.Fit(context.Training, "predictor", trainWindows, validationWindows, predictorOptions, options.Training, cancellation);
        using var model = fit.Predictor;
        double trainSeconds = clock.Elapsed.TotalSeconds;

        // The filter's noise: the pair with the lowest mean error over all horizons on the validation part.
        var kalman = (from q in Accelerations from r in MeasurementStds select new ConstantVelocityKalman(q, r))
            .MinBy(k => TrajectoryForecast.KalmanErrors(validation, k, predictorOptions.History, t.Horizon).Errors.Average())!;
        var (mamba, origins) = TrajectoryForecast.MambaErrors(test, model);
        var (filter, _) = TrajectoryForecast.KalmanErrors(test, kalman, predictorOptions.History, t.Horizon);

        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            trajectory = trajectory.Source,
            points = new { total = trajectory.PointCount, train = train.Sum(s => s.Length), validation = validation.Sum(s => s.Length), test = test.Sum(s => s.Length) },
            origins,
            kalman = new { kalman.Acceleration, kalman.MeasurementStd },
            predictorEpochs = fit.Result.EpochsRun,
            trainSeconds = Math.Round(trainSeconds, 1),
            meanDisplacementError = new { mamba, kalman = filter },
        }, cancellation);
        var table = new ResultsTable(ResultsColumn.Number("steps ahead"), ResultsColumn.Number("Mamba", "F2"), ResultsColumn.Number("constant-velocity Kalman", "F2"));
        foreach (int h in ReportedHorizons.Where(h => h <= t.Horizon)) table.Row(h, mamba[h - 1], filter[h - 1]);
        await context.Artifacts.WriteResultsAsync(new ResultsPage()
            .Paragraph($"Mean displacement error (m) on the last {1 - t.Train - t.Validation:P0} of {trajectory.Source} ({origins} forecast origins); Kalman q = {kalman.Acceleration}, r = {kalman.MeasurementStd} m.")
            .Table(table), cancellation);
    }
}
