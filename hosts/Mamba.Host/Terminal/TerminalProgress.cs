using System.Diagnostics;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Mamba.Host.Terminal;

/// <summary>
/// Shows a run's progress: Spectre.Console bars on an interactive terminal, throttled log lines when output is
/// redirected (CI, the worker, Kubernetes logs).
/// </summary>
internal sealed partial class TerminalProgress(ILogger<TerminalProgress> logger)
{
    /// <summary>True when stdout is an interactive terminal that can redraw bars.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Runs <paramref name="work"/> with progress shown the way this terminal allows.</summary>
    public async Task<T> RunAsync<T>(Func<IJobProgress, Task<T>> work)
    {
        if (!Interactive) return await work(new LoggedProgress(logger)).ConfigureAwait(false);
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context => result = await work(new BarProgress(context)).ConfigureAwait(false))
            .ConfigureAwait(false);
        return result;
    }

    private sealed class BarProgress(ProgressContext context) : IJobProgress
    {
        public IProgressBar Start(string description, double total)
        {
            var task = context.AddTask(Markup.Escape(description), maxValue: Math.Max(total, 1e-9));
            return new Bar(task, description);
        }

        private sealed class Bar(ProgressTask task, string description) : IProgressBar
        {
            public void Report(double value, string? status = null)
            {
                task.Value = value;
                if (status is not null) task.Description = Markup.Escape($"{description} {status}");
            }

            public void Dispose()
            {
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }
    }

    private sealed class LoggedProgress(ILogger logger) : IJobProgress
    {
        public IProgressBar Start(string description, double total) => new Line(logger, description, total);

        private sealed class Line(ILogger logger, string description, double total) : IProgressBar
        {
            private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
            private readonly Stopwatch clock = Stopwatch.StartNew();
            private TimeSpan lastWritten = -Interval;
            private double value;
            private string? status;

            public void Report(double value, string? status = null)
            {
                this.value = value;
                this.status = status ?? this.status;
                if (clock.Elapsed - lastWritten < Interval) return;
                lastWritten = clock.Elapsed;
                Write();
            }

            public void Dispose() => Write();

            private void Write() => LogProgress(logger, description, value, total, status ?? "", clock.Elapsed.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Description}: {Value}/{Total} {Status} ({Seconds:F0} s)")]
    private static partial void LogProgress(ILogger logger, string description, double value, double total, string status, double seconds);
}
