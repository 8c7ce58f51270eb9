using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Mamba.Host.Terminal;

/// <summary>Settings of <see cref="ConsoleLineFormatter"/>.</summary>
internal sealed class ConsoleLineFormatterOptions : ConsoleFormatterOptions
{
    /// <summary>Print exceptions' stack traces after their line (<c>--verbose</c>); otherwise only the message shows.</summary>
    public bool IncludeStackTraces { get; set; }
}

/// <summary>
/// One line per log entry on the console: <c>HH:mm:ss level: category message</c>. A user needs the message; stack
/// traces go to the run's <c>run.log</c> always and to the console only with <c>--verbose</c>.
/// </summary>
internal sealed class ConsoleLineFormatter(IOptionsMonitor<ConsoleLineFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "mamba-line";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        var settings = options.CurrentValue;
        string level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        };
        textWriter.Write(DateTime.Now.ToString(settings.TimestampFormat ?? "HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(level);
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write(' ');
        textWriter.WriteLine(message.ReplaceLineEndings(" "));
        if (logEntry.Exception is { } exception && settings.IncludeStackTraces) textWriter.WriteLine(exception.ToString());
    }
}
