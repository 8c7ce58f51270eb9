using Mamba.Forecasting.Data;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Tasks;

/// <summary>
/// Forecasts past the last row: fits (or loads) the model for the horizon, feeds it the last lookback rows and writes
/// <c>forecast.parquet</c> (future timestamps, one column per forecast variate) and <c>forecast.png</c>.
/// </summary>
[JobTask("predict", Description = "Forecast beyond the last row -> forecast.parquet with timestamps, forecast.png")]
public sealed class PredictTask : JobTask<PredictOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, PredictOptions options)
    {
        var data = ForecastPipeline.Check(context, options);
        if (options.Horizon is { } horizon) data.RequireFits([horizon], "options.horizon");
        Plotted(data, options);
    }

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, PredictOptions options, CancellationToken cancellation)
    {
        int horizon = options.Horizon ?? options.Data.Horizons.Max();
        var pipeline = new ForecastPipeline(context, options);
        var data = pipeline.LoadData(cancellation);
        var outputs = data.OutputColumns.Select(c => data.Frame.Names[c]).ToList();
        string[] plotted = Plotted(data, options);

        var (model, _) = pipeline.Fit(options.Model.Type, data, horizon, cancellation);
        double[][] forecast;
        using (model)
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            model.eval();
            var units = data.Unscale(model.forward(data.LastWindow()))[0];                   // [H, C_out]
            forecast = [.. Enumerable.Range(0, outputs.Count).Select(c => units[.., c].to_type(ScalarType.Float64).data<double>().ToArray())];
        }

        var times = data.Frame.Timestamps;
        var step = Step(times);
        var future = Enumerable.Range(1, horizon).Select(h => times[^1] + step * h).ToArray();
        var columns = new List<ParquetColumn> { new("date", future), new("step", Enumerable.Range(1, horizon).ToArray()) };
        columns.AddRange(outputs.Select((name, c) => new ParquetColumn(name, forecast[c])));
        await context.Artifacts.WriteParquetAsync(context.Shard.PartName("forecast.parquet"), columns, cancellation: cancellation).ConfigureAwait(false);

        int history = Math.Min(options.History, data.Frame.RowCount);
        var series = new List<LineSeries>();
        foreach (string name in plotted)
        {
            int column = data.Frame.IndexOf(name);
            series.Add(LineSeries.OverTime($"{name} (observed)", times.Skip(times.Count - history), data.Frame.Columns[column][^history..]));
            series.Add(LineSeries.OverTime($"{name} (forecast)", future, forecast[outputs.IndexOf(name)]));
        }
        var chart = new LineChart($"{options.Model.Type} forecast, {horizon} steps past {times[^1]:yyyy-MM-dd HH:mm}", "time", "value", series) { DateAxis = true };
        await context.Artifacts.WriteChartAsync(context.Shard.PartName("forecast.png"), chart, cancellation).ConfigureAwait(false);
    }

    /// <summary>The series' sampling step: the median gap between rows.</summary>
    private static TimeSpan Step(IReadOnlyList<DateTime> times)
    {
        if (times.Count < 2) return TimeSpan.FromDays(1);
        var gaps = Enumerable.Range(1, times.Count - 1).Select(i => times[i] - times[i - 1]).Order().ToList();
        return gaps[gaps.Count / 2];
    }

    /// <summary>The variates the chart draws: <c>plot</c>, else the first forecast one.</summary>
    /// <exception cref="JobOptionsException">A plotted name is not a forecast variate.</exception>
    private static string[] Plotted(ForecastDataset data, PredictOptions options)
    {
        var outputs = data.OutputColumns.Select(c => data.Frame.Names[c]).ToList();
        string[] plotted = options.Plot.Length > 0 ? options.Plot : [outputs[0]];
        for (int i = 0; i < plotted.Length; i++)
            if (!outputs.Contains(plotted[i]))
                throw new JobOptionsException($"options.plot[{i}]", $"'{plotted[i]}' is not forecast; forecast variates: {string.Join(", ", outputs)}");
        return plotted;
    }
}
