namespace Mamba.Sdk.Jobs;

/// <summary>Reports long work: the host draws progress bars on a terminal and writes log lines otherwise.</summary>
public interface IJobProgress
{
    /// <summary>Starts a bar of <paramref name="total"/> units (epochs, batches, files).</summary>
    IProgressBar Start(string description, double total);
}

/// <summary>One bar; dispose it when the work is done.</summary>
public interface IProgressBar : IDisposable
{
    /// <summary>Moves the bar to <paramref name="value"/> of its total and updates its label.</summary>
    void Report(double value, string? status = null);
}

/// <summary>Adapters between the core trainer's progress and the host's bars.</summary>
public static class ProgressBarExtensions
{
    /// <summary>
    /// Shows a core <c>Trainer</c>'s progress on <paramref name="bar"/>: its value is the step, its label the epoch with
    /// the loss, or with the validation metric (named <paramref name="metric"/>) after each epoch. Reports on the
    /// trainer's thread (a <see cref="Progress{T}"/> would post to the thread pool and reorder updates).
    /// </summary>
    public static IProgress<Mamba.Core.Training.TrainingProgress> ForTraining(this IProgressBar bar, string metric = "validation loss")
    {
        ArgumentNullException.ThrowIfNull(bar);
        return new TrainingBar(bar, metric);
    }

    private sealed class TrainingBar(IProgressBar bar, string metric) : IProgress<Mamba.Core.Training.TrainingProgress>
    {
        public void Report(Mamba.Core.Training.TrainingProgress value) => bar.Report(value.Step,
            value.ValidationMetric is { } v
                ? FormattableString.Invariant($"epoch {value.Epoch}/{value.Epochs} {metric} {v:F4}")
                : FormattableString.Invariant($"epoch {value.Epoch}/{value.Epochs} loss {value.Loss:F4}"));
    }
}
