using System.Diagnostics;
using System.Text.Json;
using Mamba.Forecasting.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.Forecasting.Tasks;

/// <summary>
/// Trains the model for every horizon with validation early stopping (keeping the best epoch) and checkpoints that
/// resume; saves them under <c>models/</c> and writes validation and test errors to <c>metrics.json</c>.
/// </summary>
[JobTask("train", Description = "Train the model per horizon with early stopping and checkpoints -> models/, metrics.json")]
public sealed class TrainTask : JobTask<ForecastOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, ForecastOptions options) => ForecastPipeline.Check(context, options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, ForecastOptions options, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var pipeline = new ForecastPipeline(context, options);
        var data = pipeline.LoadData(cancellation);
        var horizons = new List<object>();
        foreach (int horizon in options.Data.Horizons)
        {
            using var test = data.Windows(data.Splits.Test, horizon, "test");
            var (model, report) = pipeline.Fit(options.Model.Type, data, horizon, cancellation);
            using (model)
            using (var forecast = ForecastPipeline.Forecast(model, test))
            {
                double testMse = ErrorMetrics.MeanSquared(forecast, test.Targets), testMae = ErrorMetrics.MeanAbsolute(forecast, test.Targets);
                context.Logger.LogScore(horizon, options.Model.Type, testMse, testMae);
                horizons.Add(new { horizon, fit = report, testMse, testMae });
            }
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            model = options.Model.Type,
            data = new
            {
                path = data.Frame.Source, protocol = data.Splits.Protocol, data.Splits, lookback = data.Lookback,
                missing = JsonNamingPolicy.KebabCaseLower.ConvertName(options.Data.Missing.ToString()), filledCells = data.FilledCells,
            },
            horizons,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        }, cancellation).ConfigureAwait(false);
    }
}
