using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Mamba.Host.Jobs;

/// <summary>
/// The log provider behind each run's <c>run.log</c>: while a run is attached, every log line of the process (host,
/// plugins, core) is appended to that run's file as well as shown on the console.
/// </summary>
internal sealed class RunLog : ILoggerProvider
{
    private readonly Lock gate = new();
    private StreamWriter? writer;

    /// <summary>Sends log lines to <paramref name="path"/> until the returned handle is disposed.</summary>
    public IDisposable Attach(string path)
    {
        lock (gate)
        {
            writer?.Dispose();
            writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        }
        return new Detach(this);
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (gate)
        {
            writer?.Dispose();
            writer = null;
        }
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        lock (gate)
        {
            if (writer is null) return;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level,-11} {category}: {message}"));
            if (exception is not null) writer.WriteLine(exception.ToString());
        }
    }

    private sealed class Detach(RunLog log) : IDisposable
    {
        public void Dispose() => log.Dispose();
    }

    private sealed class FileLogger(RunLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) log.Write(category, logLevel, formatter(state, exception), exception);
        }
    }
}
