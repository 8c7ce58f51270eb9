using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mamba-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Synthetic task (labelled synthetic): predict a running mean of the input sequence at every step.</summary>
    private sealed class RunningMeanModel : nn.Module<Tensor, Tensor>
    {
        private readonly SequenceEncoder _encoder;
        private readonly Linear _head;

        public RunningMeanModel() : base(nameof(RunningMeanModel))
        {
            _encoder = new SequenceEncoder(2, new BackboneOptions { ModelDim = 16, Layers = "M1", Mamba1 = new MambaBlockOptions { StateSize = 8 } });
            _head = nn.Linear(16, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => _head.forward(_encoder.forward(x)).squeeze(-1);
    }

    private static IReadOnlyList<(Tensor X, Tensor Y)> Batches(int epoch)
    {
        var g = new Generator((ulong)(1000 + epoch));
        return [.. Enumerable.Range(0, 4).Select(_ =>
        {
            var x = randn([8, 12, 2], generator: g);
            var y = x[.., .., 0].cumsum(1) / arange(1, 13, ScalarType.Float32);
            return (x, y);
        })];
    }

    private static Tensor Loss(RunningMeanModel model, (Tensor X, Tensor Y) batch) =>
        nn.functional.mse_loss(model.forward(batch.X), batch.Y);

    private static Dictionary<string, Tensor> Weights(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [Fact]
    public void Training_lowers_the_loss()
    {
        random.manual_seed(1);
        using var model = new RunningMeanModel();
        var trainer = new Trainer(new TrainerOptions { Epochs = 8, LearningRate = 1e-2, WarmupSteps = 2 });
        double first;
        using (no_grad()) first = Loss(model, Batches(99)[0]).item<float>();

        trainer.Fit(model, Batches, b => Loss(model, b));

        double last;
        using (no_grad()) last = Loss(model, Batches(99)[0]).item<float>();
        Assert.True(last < 0.5 * first, $"held-out loss went from {first:F4} to {last:F4}");
    }

    [Fact]
    public void An_interrupted_and_resumed_run_ends_with_the_weights_of_an_uninterrupted_one()
    {
        var options = new TrainerOptions { Epochs = 3, LearningRate = 5e-3, WarmupSteps = 3, Seed = 7 };

        // Every model starts from the same weights, copied rather than re-drawn: other tests share libtorch's generator.
        using var straight = new RunningMeanModel();
        var initial = Weights(straight);
        new Trainer(options).Fit(straight, Batches, b => Loss(straight, b), checkpointDirectory: Path.Combine(_dir, "straight"));

        string resumable = Path.Combine(_dir, "resumable");
        using (var interrupted = new RunningMeanModel())
        using (var cancel = new CancellationTokenSource())
        {
            interrupted.load_state_dict(initial);
            var stopAtStep6 = new Progress(p => { if (p.Step == 6) cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() =>
                new Trainer(options).Fit(interrupted, Batches, b => Loss(interrupted, b), progress: stopAtStep6,
                    checkpointDirectory: resumable, cancellation: cancel.Token));
        }
        using var resumed = new RunningMeanModel();                        // a new process: fresh weights, then the checkpoint
        var result = new Trainer(options).Fit(resumed, Batches, b => Loss(resumed, b), checkpointDirectory: resumable);

        Assert.Equal(12, result.Steps);
        var expected = Weights(straight);
        foreach (var (name, weight) in Weights(resumed))
            Assert.True(weight.eq(expected[name]).all().item<bool>(), $"{name} differs after resuming");
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_whose_weights_no_longer_match_what_was_saved_with_them()
    {
        var options = new TrainerOptions { Epochs = 2, LearningRate = 5e-3, Seed = 7 };
        using var model = new RunningMeanModel();
        using (var cancel = new CancellationTokenSource())
        {
            var stopAtStep6 = new Progress(p => { if (p.Step == 6) cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() =>
                new Trainer(options).Fit(model, Batches, b => Loss(model, b), progress: stopAtStep6, checkpointDirectory: _dir, cancellation: cancel.Token));
        }
        // What a kill between two files of a save leaves: loadable weights of another moment beside the loop state.
        string weights = Directory.EnumerateFiles(_dir, "model.safetensors", SearchOption.AllDirectories).Single();
        using (var other = new RunningMeanModel()) Mamba.Core.Checkpoints.Safetensors.Save(weights, Mamba.Core.Checkpoints.ModelCheckpoint.Tensors(other));

        using var resumed = new RunningMeanModel();
        var e = Assert.Throws<Mamba.Core.Checkpoints.CheckpointMismatchException>(() =>
            new Trainer(options).Fit(resumed, Batches, b => Loss(resumed, b), checkpointDirectory: _dir));

        Assert.StartsWith(weights, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_best_epochs_weights_are_kept_when_a_later_epoch_is_worse(bool withCheckpoints)
    {
        using var model = new RunningMeanModel();
        var metrics = new Queue<double>([1.0, 0.5, 0.9]);
        Dictionary<string, Tensor>? atBest = null;
        double Validate()
        {
            double metric = metrics.Dequeue();
            if (metric == 0.5) atBest = Weights(model);
            return metric;
        }
        var trainer = new Trainer(new TrainerOptions { Epochs = 3, LearningRate = 1e-2, RestoreBestWeights = true });

        var result = trainer.Fit(model, Batches, b => Loss(model, b), Validate, checkpointDirectory: withCheckpoints ? _dir : null);

        Assert.Equal(2, result.BestEpoch);
        Assert.Equal(3, result.EpochsRun);
        foreach (var (name, weight) in Weights(model))
            Assert.True(weight.eq(atBest![name]).all().item<bool>(), $"{name} is not epoch 2's (the best) after training");
    }

    [Fact]
    public void A_resumed_run_restores_the_best_epoch_it_reached_before_the_interruption()
    {
        var options = new TrainerOptions { Epochs = 3, LearningRate = 1e-2, RestoreBestWeights = true, Seed = 3 };
        using var straight = new RunningMeanModel();
        var initial = Weights(straight);
        double[] metrics = [0.5, 0.9, 0.8];                                 // epoch 1 is the best
        int epoch = 0;
        new Trainer(options).Fit(straight, Batches, b => Loss(straight, b), () => metrics[epoch++], checkpointDirectory: Path.Combine(_dir, "straight"));

        string resumable = Path.Combine(_dir, "resumable");
        int seen = 0;
        using (var interrupted = new RunningMeanModel())
        using (var cancel = new CancellationTokenSource())
        {
            interrupted.load_state_dict(initial);
            var stopAtStep10 = new Progress(p => { if (p.Step == 10) cancel.Cancel(); });
            Assert.Throws<OperationCanceledException>(() => new Trainer(options).Fit(interrupted, Batches, b => Loss(interrupted, b),
                () => metrics[seen++], stopAtStep10, resumable, cancel.Token));
        }
        using var resumed = new RunningMeanModel();
        new Trainer(options).Fit(resumed, Batches, b => Loss(resumed, b), () => metrics[seen++], checkpointDirectory: resumable);

        var expected = Weights(straight);
        foreach (var (name, weight) in Weights(resumed))
            Assert.True(weight.eq(expected[name]).all().item<bool>(), $"{name} differs from the uninterrupted run's best epoch");
    }

    [Fact]
    public void A_loss_that_becomes_NaN_stops_training_naming_the_step_and_keeps_the_last_checkpoint()
    {
        using var model = new RunningMeanModel();
        int calls = 0;
        Tensor Diverging((Tensor X, Tensor Y) batch) => ++calls == 6 ? Loss(model, batch) * float.NaN : Loss(model, batch);
        var before = Weights(model);

        var e = Assert.Throws<TrainingDivergedException>(() =>
            new Trainer(new TrainerOptions { Epochs = 3 }).Fit(model, Batches, Diverging, checkpointDirectory: _dir));

        Assert.Equal(6, e.Step);
        Assert.Contains("the training loss became NaN at step 6 (epoch 2, batch 2 of 4)", e.Message);
        Assert.Contains(_dir, e.Message);
        Assert.NotNull(Mamba.Core.Checkpoints.CheckpointSet.Latest(_dir));
        Assert.True(Weights(model).All(w => isfinite(w.Value).all().item<bool>()), "a NaN step must not reach the weights");
        Assert.Contains(Weights(model), w => !w.Value.eq(before[w.Key]).all().item<bool>());
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_the_patience_runs_out()
    {
        using var model = new RunningMeanModel();
        var metrics = new Queue<double>([1.0, 0.5, 0.6, 0.7, 0.4]);
        var trainer = new Trainer(new TrainerOptions { Epochs = 5, EarlyStoppingPatience = 2 });

        var result = trainer.Fit(model, Batches, b => Loss(model, b), validate: metrics.Dequeue);

        Assert.True(result.StoppedEarly);
        Assert.Equal(4, result.EpochsRun);
        Assert.Equal(0.5, result.BestValidationMetric);
        Assert.Equal(2, result.BestEpoch);
    }

    [Fact]
    public void A_run_that_stopped_early_stays_stopped_when_resumed()
    {
        using var model = new RunningMeanModel();
        var options = new TrainerOptions { Epochs = 5, EarlyStoppingPatience = 1 };
        var stopped = new Trainer(options).Fit(model, Batches, b => Loss(model, b), validate: () => 1.0, checkpointDirectory: _dir);

        var resumed = new Trainer(options).Fit(model, Batches, b => Loss(model, b), validate: () => 1.0, checkpointDirectory: _dir);

        Assert.True(stopped.StoppedEarly);
        Assert.Equal(stopped.Steps, resumed.Steps);
        Assert.Equal(stopped.EpochsRun, resumed.EpochsRun);
    }

    [Fact]
    public void Learning_rate_warms_up_linearly_then_follows_a_cosine_to_the_minimum()
    {
        var trainer = new Trainer(new TrainerOptions { LearningRate = 1.0, MinLearningRate = 0.0, WarmupSteps = 4 });

        Assert.Equal(0.25, trainer.LearningRateAt(0, 104), 12);
        Assert.Equal(1.0, trainer.LearningRateAt(3, 104), 12);
        Assert.Equal(1.0, trainer.LearningRateAt(4, 104), 12);
        Assert.Equal(0.5, trainer.LearningRateAt(54, 104), 12);      // halfway through the 100 decay steps: (1 + cos π/2)/2
        Assert.Equal(0.0, trainer.LearningRateAt(104, 104), 12);
    }

    [Fact]
    public void Decay_skips_biases_norms_and_the_ssm_parameters_mamba_ssm_exempts()
    {
        random.manual_seed(4);
        using var model = new RunningMeanModel();
        var before = Weights(model);
        // Zero learning-rate steps are not possible; instead train with a huge decay and no gradient signal.
        var trainer = new Trainer(new TrainerOptions { Epochs = 1, LearningRate = 1e-3, MinLearningRate = 1e-3, WeightDecay = 100, GradientClipNorm = 0 });

        trainer.Fit(model, Batches, b => (model.forward(b.X) * 0).sum());

        var after = Weights(model);
        Assert.True(after["_encoder.backbone.layers.0.mixer.A_log"].eq(before["_encoder.backbone.layers.0.mixer.A_log"]).all().item<bool>(), "A_log was decayed");
        Assert.True(after["_encoder.backbone.layers.0.mixer.D"].eq(before["_encoder.backbone.layers.0.mixer.D"]).all().item<bool>(), "D was decayed");
        Assert.True(after["_encoder.backbone.norm_f.weight"].eq(before["_encoder.backbone.norm_f.weight"]).all().item<bool>(), "a norm weight was decayed");
        Assert.False(after["_head.weight"].eq(before["_head.weight"]).all().item<bool>(), "a weight matrix was not decayed");
    }

    [Fact]
    public void Live_tensors_stay_flat_across_many_steps()
    {
        random.manual_seed(5);
        using var model = new RunningMeanModel();
        IReadOnlyList<(Tensor X, Tensor Y)> data = [.. Enumerable.Repeat(Batches(1)[0], 80)];
        var live = new Dictionary<long, long>();
        var record = new Progress(p => live[p.Step] = DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        new Trainer(new TrainerOptions { Epochs = 1 }).Fit(model, _ => data, b => Loss(model, b), progress: record);

        // After the optimizer's state exists (first steps), a step must leave no tensor behind.
        Assert.True(live[80] - live[20] <= 0, $"{live[80] - live[20]} tensors were left alive between steps 20 and 80");
    }

    private sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
