using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;
using Mamba.Tracking.Metrics;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Tracking;

namespace Mamba.Tracking.Tests;

public sealed class TrackerTests
{
    /// <summary>Two objects walking towards each other on parallel lines, 40 frames, 8 px a frame.</summary>
    private static List<MotRow> Walkers() =>
    [
        .. Enumerable.Range(1, 40).SelectMany(f => new[]
        {
            new MotRow(f, 1, new Box(100 + 8 * f, 100, 40, 100), 1),
            new MotRow(f, 2, new Box(500 - 8 * f, 300, 40, 100), 1),
        }),
    ];

    [Fact]
    public void Perfect_detections_are_tracked_perfectly()
    {
        var truth = Walkers();
        var tracker = new ByteTracker(new KalmanBoxModel(), new TrackerOptions());
        foreach (var frame in truth.GroupBy(r => r.Frame)) tracker.Step(frame.Key, [.. frame.Select(r => r with { Id = -1, Confidence = 0.9 })]);

        var matching = SequenceMatching.Build(truth, tracker.Output);

        Assert.Equal(1, Hota.Of(matching).Score, 9);
        Assert.Equal(1, Identity.Of(matching).Idf1, 9);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_track_missed_for_five_frames_keeps_its_id_and_patching_fills_the_gap(bool patch)
    {
        var truth = Walkers();
        var tracker = new ByteTracker(new KalmanBoxModel(), new TrackerOptions { PatchGaps = patch });
        foreach (var frame in truth.GroupBy(r => r.Frame))
            tracker.Step(frame.Key, [.. frame.Where(r => r.Id == 2 || r.Frame is < 20 or > 24).Select(r => r with { Id = -1, Confidence = 0.9 })]);

        var matching = SequenceMatching.Build(truth, tracker.Output);
        var clear = Clear.Of(matching);

        Assert.Equal(0, clear.IdSwitches);
        Assert.Equal(patch ? 0 : 5, clear.FalseNegatives);
        if (patch)
        {
            var gap = tracker.Output.Where(r => r.Frame is >= 20 and <= 24 && r.Box.Top < 200).ToList();
            Assert.Equal(5, gap.Count);
            Assert.All(gap, r => Assert.True(r.Box.Iou(truth.Single(t => t.Frame == r.Frame && t.Id == 1).Box) > 0.9, $"patched box at frame {r.Frame} is {r.Box}"));
        }
    }

    [Fact]
    public void Kalman_prediction_extrapolates_constant_velocity()
    {
        var model = new KalmanBoxModel();
        var state = model.Start(new Box(0, 0, 40, 100));
        for (int f = 1; f <= 30; f++)
        {
            model.Predict([state]);
            state.Update(new Box(5 * f, 2 * f, 40, 100));
        }

        model.Predict([state]);

        Assert.Equal(5 * 31 + 20, state.Predicted.CenterX, 1);
        Assert.Equal(2 * 31 + 50, state.Predicted.CenterY, 1);
        Assert.Equal(100, state.Predicted.Height, 3);
    }

    [Fact]
    public void The_simulator_is_deterministic_per_seed_and_its_detector_is_imperfect()
    {
        var options = new SceneOptions { Objects = 8, Frames = 60 };

        var a = SceneSimulator.Generate("a", options, 5);
        var b = SceneSimulator.Generate("a", options, 5);
        var c = SceneSimulator.Generate("a", options, 6);

        Assert.Equal(a.Truth, b.Truth);
        Assert.Equal(a.Detections, b.Detections);
        Assert.NotEqual(a.Truth, c.Truth);
        Assert.Equal(8 * 60, a.Truth.Count);
        Assert.All(a.Visibility, v => Assert.InRange(v, 0, 1));
        // Misses and false positives both occur: the matched detections are fewer than the objects, and some are not near any.
        var matching = SequenceMatching.Build(a.Truth, a.Detections.Select((d, i) => d with { Id = i }));
        var clear = Clear.Of(matching);
        Assert.True(clear.FalseNegatives > 0 && clear.FalsePositives > 0, $"FN {clear.FalseNegatives}, FP {clear.FalsePositives}");
        Assert.All(a.Truth, r => Assert.True(r.Box.Left + r.Box.Width > 0 && r.Box.Left < options.ImageWidth, $"object {r.Id} left the image at frame {r.Frame}"));
    }
}
