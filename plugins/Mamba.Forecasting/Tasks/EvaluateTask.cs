using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mamba.Forecasting.Data;
using Mamba.Forecasting.Models;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Tasks;

/// <summary>Errors of one model at one horizon on the test split.</summary>
public sealed record Score(string Model, double Mse, double Mae, double MseOriginal, double MaeOriginal);

/// <summary>One horizon's table row group.</summary>
public sealed record HorizonScores(int Horizon, int TestWindows, IReadOnlyList<Score> Scores, IReadOnlyList<FitReport> Fits);

/// <summary>
/// Fits (or loads) S-Mamba and DLinear per horizon and scores them on the test split beside persistence and
/// seasonal naive: MSE and MAE on z-scored data (the paper's protocol) and in original units, per horizon and
/// averaged. Writes <c>metrics.json</c> and <c>results.md</c>.
/// </summary>
[JobTask("evaluate", Description = "Model vs persistence, seasonal naive and DLinear per horizon on the test split -> metrics.json, results.md")]
public sealed class EvaluateTask : JobTask<ForecastOptions>
{
    internal const string Persistence = "persistence", SeasonalNaive = "seasonal-naive";

    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, ForecastOptions options) =>
        ForecastPipeline.Check(context, options).CheckedPeriod(options.Baselines.SeasonalPeriod);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, ForecastOptions options, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var pipeline = new ForecastPipeline(context, options);
        var data = pipeline.LoadData(cancellation);
        int period = data.CheckedPeriod(options.Baselines.SeasonalPeriod);
        var results = new List<HorizonScores>();

        foreach (int horizon in options.Data.Horizons)
        {
            using var test = data.Windows(data.Splits.Test, horizon, "test");
            var scores = new List<Score>();
            var fits = new List<FitReport>();
            foreach (string modelType in new[] { options.Model.Type, ForecastModels.DLinear }.Distinct())
            {
                var (model, report) = pipeline.Fit(modelType, data, horizon, cancellation);
                fits.Add(report);
                using (model)
                using (var forecast = ForecastPipeline.Forecast(model, test))
                    scores.Add(ScoreOf(modelType, forecast, test, data));
            }
            using (var persistence = NaiveForecasts.Persistence(test.Inputs, horizon, data.OutputPositions))
                scores.Add(ScoreOf(Persistence, persistence, test, data));
            using (var seasonal = NaiveForecasts.SeasonalNaive(test.Inputs, horizon, period, data.OutputPositions))
                scores.Add(ScoreOf(SeasonalNaive, seasonal, test, data));
            foreach (var score in scores) context.Logger.LogScore(horizon, score.Model, score.Mse, score.Mae);
            results.Add(new HorizonScores(horizon, test.Count, scores, fits));
        }

        var averages = results.SelectMany(r => r.Scores).GroupBy(s => s.Model)
            .Select(g => new Score(g.Key, g.Average(s => s.Mse), g.Average(s => s.Mae), g.Average(s => s.MseOriginal), g.Average(s => s.MaeOriginal)))
            .ToList();
        var metrics = new
        {
            data = new
            {
                path = data.Frame.Source, rows = data.Frame.RowCount, variates = data.Frame.Names, features = options.Data.Features.ToString(),
                protocol = data.Splits.Protocol, data.Splits, lookback = data.Lookback,
                missing = JsonNamingPolicy.KebabCaseLower.ConvertName(options.Data.Missing.ToString()), filledCells = data.FilledCells,
            },
            seasonalPeriod = period,
            horizons = results,
            average = averages,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        await context.Artifacts.WriteJsonAsync("metrics.json", metrics, cancellation).ConfigureAwait(false);
        await context.Artifacts.WriteResultsAsync(Results(results, averages, options, data, clock.Elapsed), cancellation).ConfigureAwait(false);
    }

    private static Score ScoreOf(string model, Tensor forecast, WindowSet test, ForecastDataset data)
    {
        using var scope = NewDisposeScope();
        var forecastUnits = data.Unscale(forecast);
        var targetUnits = data.Unscale(test.Targets);
        return new Score(model, ErrorMetrics.MeanSquared(forecast, test.Targets), ErrorMetrics.MeanAbsolute(forecast, test.Targets),
            ErrorMetrics.MeanSquared(forecastUnits, targetUnits), ErrorMetrics.MeanAbsolute(forecastUnits, targetUnits));
    }

    internal static ResultsPage Results(IReadOnlyList<HorizonScores> results, IReadOnlyList<Score> averages, ForecastOptions options, ForecastDataset data, TimeSpan elapsed)
    {
        var models = averages.Select(a => a.Model).ToList();
        var table = new ResultsTable([ResultsColumn.Text("horizon"), .. models.Select(ResultsColumn.Text)]);
        foreach (var row in results.Select(r => (Label: r.Horizon.ToString(CultureInfo.InvariantCulture), r.Scores)).Append((Label: "average", Scores: averages)))
        {
            double bestMse = row.Scores.Min(s => s.Mse);
            var cells = models.Select(m => row.Scores.First(s => s.Model == m)).Select(s =>
            {
                string cell = FormattableString.Invariant($"{s.Mse:F3} / {s.Mae:F3}");
                return s.Mse == bestMse ? ResultsTable.Strong(cell) : cell;
            });
            table.Row([row.Label, .. cells]);
        }
        return new ResultsPage()
            .Paragraph($"Test MSE / MAE on z-scored data ({data.Splits.Protocol} split, lookback {data.Lookback}, features {options.Data.Features}); best per row in bold.")
            .Table(table)
            .Paragraph($"Seasonal period {options.Baselines.SeasonalPeriod}; {elapsed.TotalSeconds:F0} s in all.");
    }
}
