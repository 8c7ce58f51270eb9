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
