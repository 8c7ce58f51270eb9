using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Motion;

/// <summary>
/// ByteTrack's Kalman filter: state (x, y, a, h, ẋ, ẏ, ȧ, ḣ) with centre, aspect ratio and height, constant velocity,
/// process and measurement noise proportional to the box height (weights 1/20 for position, 1/160 for velocity).
/// </summary>
public sealed class KalmanBoxModel : IMotionModel
{
    private const double PositionWeight = 1.0 / 20, VelocityWeight = 1.0 / 160;

    /// <inheritdoc/>
    public string Name => "kalman";

    /// <inheritdoc/>
    public IMotionState Start(Box box) => new State(box);

    /// <inheritdoc/>
    public void Predict(IReadOnlyList<IMotionState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        foreach (var state in states) ((State)state).Predict();
    }

    private sealed class State : IMotionState
    {
        private readonly double[] mean = new double[8];
        private readonly double[,] covariance = new double[8, 8];

        public State(Box box)
        {
            double[] z = Measure(box);
            Array.Copy(z, mean, 4);
            double h = box.Height;
            double[] std = [2 * PositionWeight * h, 2 * PositionWeight * h, 1e-2, 2 * PositionWeight * h, 10 * VelocityWeight * h, 10 * VelocityWeight * h, 1e-5, 10 * VelocityWeight * h];
            for (int i = 0; i < 8; i++) covariance[i, i] = std[i] * std[i];
            Predicted = box;
        }

        public Box Predicted { get; private set; }

        public void Predict()
        {
            double h = mean[3];
            double[] std = [PositionWeight * h, PositionWeight * h, 1e-2, PositionWeight * h, VelocityWeight * h, VelocityWeight * h, 1e-5, VelocityWeight * h];
            for (int i = 0; i < 4; i++) mean[i] += mean[i + 4];
            // P ← F P Fᵀ + Q with F = [[I, I], [0, I]].
            var p = (double[,])covariance.Clone();
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++)
                {
                    double value = p[i, j];
                    if (i < 4) value += p[i + 4, j];
                    if (j < 4) value += p[i, j + 4];
                    if (i < 4 && j < 4) value += p[i + 4, j + 4];
                    covariance[i, j] = value + (i == j ? std[i] * std[i] : 0);
                }
            Predicted = ToBox();
        }

        public void Update(Box observed)
        {
            double h = mean[3];
            double[] r = [PositionWeight * h, PositionWeight * h, 1e-1, PositionWeight * h];
            // S = H P Hᵀ + R (the top-left 4 × 4 block), K = P Hᵀ S⁻¹.
            var s = new double[4, 4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) s[i, j] = covariance[i, j] + (i == j ? r[i] * r[i] : 0);
            var inverse = Invert4(s);
            var gain = new double[8, 4];
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 4; j++)
                    for (int k = 0; k < 4; k++) gain[i, j] += covariance[i, k] * inverse[k, j];
            double[] z = Measure(observed);
            var innovation = new double[4];
            for (int i = 0; i < 4; i++) innovation[i] = z[i] - mean[i];
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 4; j++) mean[i] += gain[i, j] * innovation[j];
            // P ← P − K H P (K S Kᵀ = K H P).
            var hp = new double[4, 8];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 8; j++) hp[i, j] = covariance[i, j];
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++)
                {
                    double value = 0;
                    for (int k = 0; k < 4; k++) value += gain[i, k] * hp[k, j];
                    covariance[i, j] -= value;
                }
            Predicted = observed;
        }

        private Box ToBox()
        {
            double height = Math.Max(mean[3], 1e-3), width = Math.Max(mean[2] * height, 1e-3);
            return Box.FromCenter(mean[0], mean[1], width, height);
        }

        private static double[] Measure(Box box) => [box.CenterX, box.CenterY, box.Aspect, box.Height];
    }

    /// <summary>Inverse of a symmetric positive-definite 4 × 4 matrix by Gauss–Jordan elimination.</summary>
    private static double[,] Invert4(double[,] m)
    {
        var a = new double[4, 8];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) a[i, j] = m[i, j];
            a[i, 4 + i] = 1;
        }
        for (int c = 0; c < 4; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < 4; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            for (int j = 0; j < 8; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            double d = a[c, c];
            for (int j = 0; j < 8; j++) a[c, j] /= d;
            for (int r = 0; r < 4; r++)
            {
                if (r == c) continue;
                double f = a[r, c];
                for (int j = 0; j < 8; j++) a[r, j] -= f * a[c, j];
            }
        }
        var inverse = new double[4, 4];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) inverse[i, j] = a[i, 4 + j];
        return inverse;
    }
}
