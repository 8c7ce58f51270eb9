using static TorchSharp.torch;

namespace Mamba.Core.Models;

/// <summary>
/// The libtorch intra-op threads a one-token <c>Step</c> of a single stream runs with. A batch-1 step is dozens of
/// small libtorch calls per layer; with several intra-op threads each call pays for waking and joining them, and on a
/// busy machine those threads oversubscribe the cores (one 24-layer step collapsed to a seventh of its one-thread
/// speed). Batched steps have enough work per call to gain from the threads and keep libtorch's setting, as do
/// prefill and training. Chosen by <c>mamba bench decode</c> (docs/benchmarks.md).
/// </summary>
public static class StepThreads
{
    /// <summary>Environment variable that sets <see cref="Count"/> at start-up (0: leave libtorch's setting).</summary>
    public const string Variable = "MAMBA_STEP_THREADS";

    /// <summary>Intra-op threads for steps of at most <see cref="MaxBatch"/> streams; 0 leaves libtorch's setting alone.</summary>
    public static int Count { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable(Variable), out int threads) && threads >= 0 ? threads : 1;

    /// <summary>The largest batch whose steps run under <see cref="Count"/> threads.</summary>
    public const long MaxBatch = 1;

    /// <summary>
    /// Runs the caller's step of <paramref name="batch"/> streams under <see cref="Count"/> threads until disposed (when
    /// the batch is small enough), then restores the setting.
    /// </summary>
    internal static Scope Enter(long batch) => new(batch <= MaxBatch ? Count : 0);

    /// <summary>libtorch's intra-op setting held at <see cref="Count"/> for one step (per OS thread under OpenMP).</summary>
    internal readonly struct Scope : IDisposable
    {
        private readonly int previous;

        public Scope(int count)
        {
            previous = 0;
            if (count <= 0) return;
            int current = get_num_threads();
            if (current == count) return;
            previous = current;
            set_num_threads(count);
        }

        public void Dispose()
        {
            if (previous > 0) set_num_threads(previous);
        }
    }
}
