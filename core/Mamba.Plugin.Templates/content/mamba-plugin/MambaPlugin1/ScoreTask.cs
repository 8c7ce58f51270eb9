using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace MambaPlugin1;

/// <summary>
/// Forecasts each value of a column as the mean of the <see cref="ScoreOptions.Window"/> values before it and scores
/// the forecasts by their symmetric percentage error. Replace it with your domain's train / evaluate / predict tasks.
/// </summary>
[JobTask("score", Description = "Score a moving-average forecast of one column")]
public sealed class ScoreTask : JobTask<ScoreOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, ScoreOptions options, CancellationToken cancellation)
    {
        string path = context.ResolvePath(options.Path);
        var frame = context.Exports.ReaderFor<SeriesFrame>(path, options.Format).Read(path, cancellation);
        int column = frame.IndexOf(options.Column);
        if (column < 0)
            throw new JobOptionsException("options.column", $"'{options.Column}' is not a column of {path} (columns: {string.Join(", ", frame.Names)})");
        var values = frame.Columns[column];
        if (values.Length <= options.Window)
            throw new DataFormatException(path, $"{values.Length} rows; the window of {options.Window} needs more");

        var forecasts = new double[values.Length - options.Window];
        using (var bar = context.Progress.Start("forecasting", forecasts.Length))
        {
            for (int t = 0; t < forecasts.Length; t++)
            {
                cancellation.ThrowIfCancellationRequested();
                double sum = 0;
                for (int k = t; k < t + options.Window; k++) sum += values[k];
                forecasts[t] = sum / options.Window;
                bar.Report(t + 1);
            }
        }

        using var predicted = tensor(forecasts);
        using var actual = tensor(values[options.Window..]);
        double smape = SymmetricPercentageError.Compute(predicted, actual);
        context.Logger.LogInformation("{Column}: sMAPE {Smape:F2} %", options.Column, smape);
        await context.Artifacts.WriteJsonAsync("metrics.json", new { column = options.Column, window = options.Window, forecasts = forecasts.Length, smape }, cancellation);
    }
}
