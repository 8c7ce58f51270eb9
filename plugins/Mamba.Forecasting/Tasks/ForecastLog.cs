using Microsoft.Extensions.Logging;

namespace Mamba.Forecasting.Tasks;

internal static partial class ForecastLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Path}: {Rows} rows, {Columns} variates; {Protocol} split: train {Train}, validation {Validation}, test {Test} rows")]
    public static partial void LogSeries(this ILogger logger, string path, int rows, int columns, string protocol, int train, int validation, int test);

    [LoggerMessage(Level = LogLevel.Information, Message = "Filled {Cells} missing cells ({Policy})")]
    public static partial void LogFilled(this ILogger logger, int cells, MissingValuePolicy policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Horizon {Horizon}: {Model} test MSE {Mse:F4} MAE {Mae:F4}")]
    public static partial void LogScore(this ILogger logger, int horizon, string model, double mse, double mae);
}
