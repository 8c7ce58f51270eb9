using Microsoft.Extensions.Logging;

namespace Mamba.Tracking.Tasks;

internal static partial class TrackingLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Motion windows: {Train} for training, {Validation} for validation ({Source})")]
    public static partial void LogWindows(this ILogger logger, int train, int validation, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Sequence}: {Tracker} HOTA {Hota:F3} IDF1 {Idf1:F3} MOTA {Mota:F3} ({Seconds:F1} s, {Fps:F0} frames/s)")]
    public static partial void LogTracked(this ILogger logger, string sequence, string tracker, double hota, double idf1, double mota, double seconds, double fps);
}
