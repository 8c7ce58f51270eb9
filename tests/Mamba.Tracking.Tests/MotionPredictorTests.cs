using Mamba.Sdk.Training;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Training;
using Mamba.Tracking.Trajectories;

namespace Mamba.Tracking.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public static class GlobalRandomTests
{
    public const string Name = "global torch random state";
}

[Collection(GlobalRandomTests.Name)]
public sealed class MotionPredictorTests
{
    private static readonly MotionPredictorOptions Tiny = new() { History = 5, DModel = 16, Layers = 1, DState = 8 };

    [Fact]
    public void Training_learns_motion_better_than_standing_still()
    {
        var scene = new SceneOptions { Objects = 8, Frames = 120 };
        var training = new MotionTrainingOptions { Epochs = 8, BatchSize = 64, LearningRate = 3e-3 };
        var train = MotionWindows.From([.. Enumerable.Range(0, 3).Select(s => SceneSimulator.Generate("t", scene, s).Truth)], Tiny.History, training);
        var validation = MotionWindows.From([SceneSimulator.Generate("v", scene, 99).Truth], Tiny.History, training);

        var (predictor, result) = MotionTraining.Fit(TrainingRun.Detached(), "predictor", train, validation, Tiny, training, CancellationToken.None);
        using (predictor)
        {
            // Smooth-L1 of predicting no motion at all, from the targets alone.
            double standingStill = validation.Targets.Average(y => Math.Abs(y) < 1 ? 0.5 * y * y : Math.Abs(y) - 0.5);
            double learned = validation.Loss(predictor, 256);
            Assert.True(learned < 0.7 * standingStill, $"validation smooth-L1 {learned:F4} after {result.EpochsRun} epochs; standing still {standingStill:F4}");
        }
    }

    [Fact]
    public void Same_seed_trains_the_same_predictor()
    {
        var scene = new SceneOptions { Objects = 3, Frames = 40 };
        var training = new MotionTrainingOptions { Epochs = 1, BatchSize = 32, Seed = 4 };
        var windows = MotionWindows.From([SceneSimulator.Generate("t", scene, 1).Truth], Tiny.History, training);

        var (a, _) = MotionTraining.Fit(TrainingRun.Detached(), "predictor", windows, windows, Tiny, training, CancellationToken.None);
        var (b, _) = MotionTraining.Fit(TrainingRun.Detached(), "predictor", windows, windows, Tiny, training, CancellationToken.None);

        using (a)
        using (b)
            Assert.Equal(a.state_dict().Values.Select(t => t.sum().item<float>()), b.state_dict().Values.Select(t => t.sum().item<float>()));
    }

    [Fact]
    public void A_lost_track_rolls_forward_on_its_own_predictions()
    {
        var model = new MambaMotionModel(new MotionPredictor(BoxDeltas.Features, Tiny));
        var state = model.Start(new Geometry.Box(0, 0, 40, 100));

        model.Predict([state]);
        var first = state.Predicted;
        model.Predict([state]);
        var second = state.Predicted;

        // Each step applies a predicted delta to the previous prediction, never returning to the start box.
        Assert.NotEqual(first, second);
        state.Update(new Geometry.Box(3, 0, 40, 100));
        Assert.Equal(new Geometry.Box(3, 0, 40, 100), state.Predicted);
    }

    [Fact]
    public void Forecast_targets_are_offsets_from_constant_velocity()
    {
        // On a straight line at constant speed every offset is zero; a turn shows up as a non-zero offset.
        var line = Enumerable.Range(0, 30).Select(t => (X: 3.0 * t, Y: 1.0 * t)).ToArray();
        var straight = TrajectoryForecast.Windows([line], history: 4, horizon: 3);
        Assert.All(straight.Targets, v => Assert.Equal(0, v, 6));

        var turn = line.Select((p, t) => t < 20 ? p : (p.X - 3.0 * (t - 19), p.Y)).ToArray();
        Assert.Contains(TrajectoryForecast.Windows([turn], 4, 3).Targets, v => Math.Abs(v) > 1);
    }

    [Fact]
    public void The_constant_velocity_filter_locks_onto_a_straight_line()
    {
        var line = Enumerable.Range(0, 40).Select(t => (X: 2.0 * t + 5, Y: -1.5 * t)).ToArray();

        var (x, y, vx, vy) = new ConstantVelocityKalman(0.1, 0.5).Filter(line)[^1];

        Assert.Equal(2.0, vx, 2);
        Assert.Equal(-1.5, vy, 2);
        Assert.Equal(line[^1].X, x, 2);
        Assert.Equal(line[^1].Y, y, 2);
    }
}
