using Mamba.Tracking.Motion;
using Mamba.Tracking.Training;
using static TorchSharp.torch;

namespace Mamba.Tracking.Trajectories;

/// <summary>
/// Forecasting a point trajectory H steps ahead from its last K steps: the Mamba motion predictor on 2-D deltas, which
/// predicts all H future positions at once, against a constant-velocity Kalman filter (white-noise acceleration) run
/// over the whole past. The predictor outputs each future position's offset from constant-velocity extrapolation of the
/// last step, so a predictor that outputs zero extrapolates and training learns only the departures from it.
/// </summary>
public static class TrajectoryForecast
{
    /// <summary>Metres per unit of the predictor's input deltas (a runner covers about 3 m a second).</summary>
    public const double Scale = 3;

    /// <summary>Metres per unit of the predicted offsets.</summary>
    public const double OffsetScale = 1;

    /// <summary>
    /// Windows from segments: K deltas (units of <see cref="Scale"/>) → the offsets of the next H positions from
    /// extrapolating the last delta (units of <see cref="OffsetScale"/>), (x, y) per step.
    /// </summary>
    public static MotionWindows Windows(IEnumerable<(double X, double Y)[]> segments, int history, int horizon)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var inputs = new List<float>();
        var targets = new List<float>();
        foreach (var s in segments)
            for (int t = history; t + horizon < s.Length; t++)
            {
                inputs.AddRange(Deltas(s, t, history));
                double vx = s[t].X - s[t - 1].X, vy = s[t].Y - s[t - 1].Y;
                for (int h = 1; h <= horizon; h++)
                {
                    targets.Add((float)((s[t + h].X - s[t].X - h * vx) / OffsetScale));
                    targets.Add((float)((s[t + h].Y - s[t].Y - h * vy) / OffsetScale));
                }
            }
        return new MotionWindows([.. inputs], [.. targets], history, 2, 2 * horizon);
    }

    /// <summary>
    /// The predictor's mean displacement error (metres) at each horizon 1…H over every forecast origin with K steps
    /// behind and H ahead inside a segment, and the number of origins.
    /// </summary>
    public static (double[] Errors, int Origins) MambaErrors(IEnumerable<(double X, double Y)[]> segments, MotionPredictor predictor)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(predictor);
        int k = predictor.Options.History, horizon = predictor.Options.Horizon;
        var errors = new double[horizon];
        int origins = 0;
        predictor.eval();
        foreach (var s in segments)
        {
            var starts = Origins(s, k, horizon);
            if (starts.Length == 0) continue;
            float[] offsets;
            using (no_grad())
            using (var scope = NewDisposeScope())
                offsets = predictor.forward(tensor(starts.SelectMany(t => Deltas(s, t, k)).ToArray()).view(starts.Length, k, 2)).data<float>().ToArray();
            for (int i = 0; i < starts.Length; i++)
            {
                int t = starts[i];
                double lx = s[t].X - s[t - 1].X, ly = s[t].Y - s[t - 1].Y;
                for (int h = 1; h <= horizon; h++)
                {
                    int o = (i * horizon + h - 1) * 2;
                    errors[h - 1] += Distance((s[t].X + h * lx + offsets[o] * OffsetScale, s[t].Y + h * ly + offsets[o + 1] * OffsetScale), s[t + h]);
                }
            }
            origins += starts.Length;
        }
        return (Average(errors, origins), origins);
    }

    /// <summary>The filter's mean displacement error at each horizon 1…H over the same origins as <see cref="MambaErrors"/>.</summary>
    public static (double[] Errors, int Origins) KalmanErrors(IEnumerable<(double X, double Y)[]> segments, ConstantVelocityKalman kalman, int history, int horizon)
    {
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(kalman);
        var errors = new double[horizon];
        int origins = 0;
        foreach (var s in segments)
        {
            var starts = Origins(s, history, horizon);
            if (starts.Length == 0) continue;
            var filtered = kalman.Filter(s);
            foreach (int t in starts)
            {
                var (x, y, vx, vy) = filtered[t];
                for (int h = 1; h <= horizon; h++) errors[h - 1] += Distance((x + h * vx, y + h * vy), s[t + h]);
            }
            origins += starts.Length;
        }
        return (Average(errors, origins), origins);
    }

    private static int[] Origins((double X, double Y)[] s, int history, int horizon) => [.. Enumerable.Range(history, Math.Max(0, s.Length - horizon - history))];

    private static double[] Average(double[] sums, int count) => [.. sums.Select(e => e / Math.Max(1, count))];

    /// <summary>The K deltas ending at point t, in units of <see cref="Scale"/>, (x, y) per step.</summary>
    private static IEnumerable<float> Deltas((double X, double Y)[] s, int t, int history)
    {
        for (int k = t - history; k < t; k++)
        {
            yield return (float)((s[k + 1].X - s[k].X) / Scale);
            yield return (float)((s[k + 1].Y - s[k].Y) / Scale);
        }
    }

    private static double Distance((double X, double Y) a, (double X, double Y) b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
}

/// <summary>
/// Constant-velocity Kalman filter on 2-D points (per axis state (p, v), unit time step, white-noise acceleration of
/// spectral density <paramref name="acceleration"/>, measurement noise <paramref name="measurementStd"/>).
/// </summary>
public sealed class ConstantVelocityKalman(double acceleration, double measurementStd)
{
    /// <summary>Process noise density q (m²/s³).</summary>
    public double Acceleration { get; } = acceleration;

    /// <summary>Measurement standard deviation (m).</summary>
    public double MeasurementStd { get; } = measurementStd;

    /// <summary>Filtered position and velocity after each point of <paramref name="points"/>.</summary>
    public (double X, double Y, double Vx, double Vy)[] Filter((double X, double Y)[] points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var result = new (double, double, double, double)[points.Length];
        var ax = new Axis(points[0].X, MeasurementStd);
        var ay = new Axis(points[0].Y, MeasurementStd);
        result[0] = (points[0].X, points[0].Y, 0, 0);
        for (int t = 1; t < points.Length; t++)
        {
            ax.Step(points[t].X, Acceleration, MeasurementStd);
            ay.Step(points[t].Y, Acceleration, MeasurementStd);
            result[t] = (ax.P, ay.P, ax.V, ay.V);
        }
        return result;
    }

    /// <summary>One axis: state (p, v) and its 2 × 2 covariance.</summary>
    private sealed class Axis(double position, double measurementStd)
    {
        private double pp = measurementStd * measurementStd, pv, vv = 100;

        public double P { get; private set; } = position;

        public double V { get; private set; }

        public void Step(double z, double q, double r)
        {
            // Predict: F = [[1, 1], [0, 1]], Q = q [[1/3, 1/2], [1/2, 1]].
            P += V;
            double npp = pp + 2 * pv + vv + q / 3, npv = pv + vv + q / 2, nvv = vv + q;
            // Update with z = p + noise.
            double s = npp + r * r, kp = npp / s, kv = npv / s, innovation = z - P;
            P += kp * innovation;
            V += kv * innovation;
            (pp, pv, vv) = ((1 - kp) * npp, (1 - kp) * npv, nvv - kv * npv);
        }
    }
}
