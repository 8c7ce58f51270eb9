using System.ComponentModel.DataAnnotations;
using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Simulation;

/// <summary>Settings of synthetic scenes (defaults: 20 dancers, 10 s at 30 fps, 1280 × 720).</summary>
public sealed class SceneOptions
{
    /// <summary>Objects in the scene, all present for the whole sequence.</summary>
    [Range(1, 500)]
    public int Objects { get; set; } = 20;

    /// <summary>Frames per sequence.</summary>
    [Range(2, 100_000)]
    public int Frames { get; set; } = 300;

    /// <summary>Frames per second (written to seqinfo.ini).</summary>
    [Range(1, 1000)]
    public int FrameRate { get; set; } = 30;

    /// <summary>Image width in pixels.</summary>
    [Range(64, 16_384)]
    public int ImageWidth { get; set; } = 1280;

    /// <summary>Image height in pixels.</summary>
    [Range(64, 16_384)]
    public int ImageHeight { get; set; } = 720;

    /// <summary>Chance per object and frame of a sudden turn (60–150°).</summary>
    [Range(0.0, 1.0)]
    public double TurnRate { get; set; } = 0.02;

    /// <summary>Detector box jitter, as a fraction of the box height (standard deviation).</summary>
    [Range(0.0, 1.0)]
    public double Jitter { get; set; } = 0.04;

    /// <summary>Chance that a fully visible object is missed.</summary>
    [Range(0.0, 1.0)]
    public double MissRate { get; set; } = 0.05;

    /// <summary>Mean false positives per frame.</summary>
    [Range(0.0, 100.0)]
    public double FalsePositives { get; set; } = 1;
}

/// <summary>A synthetic sequence: ground truth (with visibility) and detections, MOTChallenge rows.</summary>
public sealed record SyntheticSequence(SequenceInfo Info, List<MotRow> Truth, List<MotRow> Detections, double[] Visibility);

/// <summary>
/// Synthetic scenes for tracking, labelled synthetic wherever written: identical-looking objects (no appearance cue)
/// that dance: a heading that drifts and sometimes turns sharply, a speed that changes, a sideways oscillation on top,
/// bouncing off the image borders, so they cross and occlude one another. A noisy detector sees them: box jitter,
/// misses that grow with occlusion (nearer objects are lower in the image), scores that fall with visibility, and
/// false positives with low scores. Deterministic for a seed.
/// </summary>
public static class SceneSimulator
{
    /// <summary>One sequence named <paramref name="name"/> from <paramref name="seed"/>.</summary>
    public static SyntheticSequence Generate(string name, SceneOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        double Uniform(double lo, double hi) => lo + (hi - lo) * random.NextDouble();
        int n = options.Objects;
        double w = options.ImageWidth, h = options.ImageHeight;
        var objects = Enumerable.Range(0, n).Select(_ =>
        {
            double height = Uniform(0.1, 0.2) * h;
            return new Dancer
            {
                X = Uniform(0.1, 0.9) * w, Y = Uniform(0.2, 0.9) * h, Height = height, Aspect = Uniform(0.35, 0.55),
                Heading = Uniform(0, 2 * Math.PI), Speed = Uniform(0.003, 0.008) * w, Turn = Uniform(-0.03, 0.03),
                Amplitude = Uniform(0.1, 0.4) * height, Period = Uniform(20, 60), Phase = Uniform(0, 2 * Math.PI),
            };
        }).ToArray();

        var truth = new List<MotRow>();
        var detections = new List<MotRow>();
        var visibility = new List<double>();
        for (int frame = 1; frame <= options.Frames; frame++)
        {
            var boxes = new Box[n];
            for (int i = 0; i < n; i++)
            {
                var o = objects[i];
                if (frame > 1) o.Move(options, random, Normal, Uniform);
                double sway = o.Amplitude * Math.Sin(2 * Math.PI * frame / o.Period + o.Phase);
                double x = o.X - Math.Sin(o.Heading) * sway, y = o.Y + Math.Cos(o.Heading) * sway;
                double height = o.Height * (1 + 0.05 * Math.Sin(2 * Math.PI * frame / (2 * o.Period)));
                boxes[i] = Box.FromCenter(x, y, height * o.Aspect, height);
            }
            for (int i = 0; i < n; i++)
            {
                double visible = Visibility(boxes, i);
                truth.Add(new MotRow(frame, i + 1, boxes[i], 1, 1));
                visibility.Add(visible);
                double detectChance = (1 - options.MissRate) * Math.Clamp((visible - 0.1) / 0.5, 0, 1);
                if (random.NextDouble() >= detectChance) continue;
                var b = boxes[i];
                double s = options.Jitter * b.Height;
                var noisy = Box.FromCenter(b.CenterX + s * Normal(), b.CenterY + s * Normal(), Math.Max(2, b.Width + s * Normal()), Math.Max(2, b.Height + s * Normal()));
                double score = Math.Clamp(0.3 + 0.65 * visible + 0.08 * Normal(), 0.05, 1);
                detections.Add(new MotRow(frame, -1, noisy, score));
            }
            for (int k = Poisson(random, options.FalsePositives); k > 0; k--)
            {
                double height = Uniform(0.08, 0.2) * h;
                detections.Add(new MotRow(frame, -1, new Box(Uniform(0, w - height), Uniform(0, h - height), height * Uniform(0.35, 0.55), height), Uniform(0.1, 0.65)));
            }
        }
        return new SyntheticSequence(new SequenceInfo(name, options.FrameRate, options.Frames, options.ImageWidth, options.ImageHeight), truth, detections, [.. visibility]);
    }

    /// <summary>Share of box <paramref name="i"/> not covered by nearer boxes (those whose bottom edge is lower).</summary>
    private static double Visibility(Box[] boxes, int i)
    {
        var me = boxes[i];
        double covered = 0;
        for (int j = 0; j < boxes.Length; j++)
        {
            var other = boxes[j];
            if (j == i || other.Top + other.Height <= me.Top + me.Height) continue;
            double cw = Math.Min(me.Left + me.Width, other.Left + other.Width) - Math.Max(me.Left, other.Left);
            double ch = Math.Min(me.Top + me.Height, other.Top + other.Height) - Math.Max(me.Top, other.Top);
            if (cw > 0 && ch > 0) covered = Math.Max(covered, cw * ch / (me.Width * me.Height));
        }
        return 1 - covered;
    }

    private static int Poisson(Random random, double mean)
    {
        double limit = Math.Exp(-mean), product = random.NextDouble();
        int count = 0;
        while (product > limit) { count++; product *= random.NextDouble(); }
        return count;
    }

    private sealed class Dancer
    {
        public double X { get; set; }

        public double Y { get; set; }

        public double Height { get; init; }

        public double Aspect { get; init; }

        public double Heading { get; set; }

        public double Speed { get; set; }

        public double Turn { get; set; }

        public double Amplitude { get; init; }

        public double Period { get; init; }

        public double Phase { get; init; }

        public void Move(SceneOptions options, Random random, Func<double> normal, Func<double, double, double> uniform)
        {
            double w = options.ImageWidth, h = options.ImageHeight;
            Turn = Math.Clamp(Turn + 0.004 * normal(), -0.06, 0.06);        // curving paths
            Heading += Turn;
            if (random.NextDouble() < options.TurnRate) Heading += (random.Next(2) == 0 ? -1 : 1) * uniform(Math.PI / 3, 5 * Math.PI / 6);
            Speed = Math.Clamp(Speed * Math.Exp(0.05 * normal()), 0.001 * w, 0.012 * w);
            X += Speed * Math.Cos(Heading);
            Y += Speed * Math.Sin(Heading);
            double margin = Height;
            if (X < margin || X > w - margin) { Heading = Math.PI - Heading; X = Math.Clamp(X, margin, w - margin); }
            if (Y < margin || Y > h - margin / 2) { Heading = -Heading; Y = Math.Clamp(Y, margin, h - margin / 2); }
        }
    }
}
