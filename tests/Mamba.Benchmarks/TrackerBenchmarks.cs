using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mamba.Tracking.Data;
using Mamba.Tracking.Motion;
using Mamba.Tracking.Simulation;
using Mamba.Tracking.Tracking;

namespace Mamba.Benchmarks;

/// <summary>
/// Tracking throughput: the ByteTrack tracker over 100 frames of a synthetic scene with 50 objects per frame, with the
/// Kalman and with the Mamba motion model (default predictor size; weights do not change the cost).
/// Run: <c>dotnet run -c Release --project tests/Mamba.Benchmarks -- --filter '*TrackerBenchmarks*'</c>;
/// frames/s = 100 / the median.
/// </summary>
[Config(typeof(Config))]
public class TrackerBenchmarks : IDisposable
{
    public const int Frames = 100;

    private ILookup<int, MotRow>? detections;
    private MotionPredictor? predictor;

    [Params("kalman", "mamba")]
    public string Motion { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        detections = SceneSimulator.Generate("bench", new SceneOptions { Objects = 50, Frames = Frames }, 1).Detections.ToLookup(d => d.Frame);
        if (Motion == "mamba") predictor = new MotionPredictor(BoxDeltas.Features, new MotionPredictorOptions());
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public int Track()
    {
        IMotionModel model = predictor is null ? new KalmanBoxModel() : new MambaMotionModel(predictor);
        var tracker = new ByteTracker(model, new TrackerOptions());
        for (int frame = 1; frame <= Frames; frame++) tracker.Step(frame, [.. detections![frame]]);
        return tracker.Output.Count;
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) predictor?.Dispose();
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In process: a generated child project would not carry the build's libLibTorchSharp fix.
            AddJob(Job.Default.WithWarmupCount(2).WithIterationCount(7).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(StatisticColumn.Median);
        }
    }
}
