using System.Diagnostics;
using Mamba.Core.Training;
using Mamba.Forecasting.Data;
using Mamba.Forecasting.Models;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Tasks;

/// <summary>What fitting one model for one horizon produced.</summary>
public sealed record FitReport(string Model, int Horizon, double? BestValidationMse, int EpochsRun, bool StoppedEarly, double Seconds, bool Loaded);

/// <summary>The saved description of a fitted model, checked when a later job loads it.</summary>
public sealed record SavedForecaster(string Type, int Lookback, int Horizon, int Variates, long[] OutputPositions, string[] Outputs, ModelOptions Model, BaselineOptions Baselines);

/// <summary>The steps the forecasting tasks share: read and prepare the series, fit or load a model per horizon, forecast windows.</summary>
internal sealed class ForecastPipeline(JobContext context, ForecastOptions options)
{
    private const int InferenceBatch = 256;

    /// <summary>
    /// Everything a forecasting run checks before it starts: the reader for the file, the series itself (parsed),
    /// the target, and the lookback and horizons against its splits.
    /// </summary>
    public static ForecastDataset Check(JobCheckContext context, ForecastOptions options, CancellationToken cancellation = default)
    {
        string path = context.ResolvePath(options.Data.Path);
        return ForecastDataset.Prepare(ReadFrame(context.Exports, path, options.Data, cancellation), options.Data);
    }

    public ForecastDataset LoadData(CancellationToken cancellation)
    {
        string path = context.ResolvePath(options.Data.Path);
        var frame = ReadFrame(context.Exports, path, options.Data, cancellation);
        var data = ForecastDataset.Prepare(frame, options.Data);
        context.Logger.LogSeries(path, frame.RowCount, frame.Names.Count, data.Splits.Protocol, data.Splits.Train.Rows, data.Splits.Validation.End - data.Splits.Train.End, data.Splits.Test.End - data.Splits.Validation.End);
        if (data.FilledCells > 0) context.Logger.LogFilled(data.FilledCells, options.Data.Missing);
        return data;
    }

    /// <summary>
    /// Reads the series with the reader chosen by <c>data.format</c> or the extension. The plugin's own readers take
    /// the job's layout (the CSV reader all of it, the Parquet reader the time column); a layout option that the
    /// chosen reader cannot honour is refused rather than ignored.
    /// </summary>
    private static SeriesFrame ReadFrame(IExportCatalog exports, string path, DataOptions data, CancellationToken cancellation)
    {
        var reader = exports.ReaderFor<SeriesFrame>(path, data.Format);
        if (reader is SeriesCsvReader) return new SeriesCsvReader(data.CsvLayout()).Read(path, cancellation);
        string? csvOnly = data.Delimiter is not null ? "delimiter" : data.TimeFormat is not null ? "timeFormat"
            : data.DecimalSeparator != "." ? "decimalSeparator" : null;
        if (csvOnly is not null)
            throw new JobOptionsException($"options.data.{csvOnly}", $"applies to CSV files; {path} is read by the {reader.GetType().Name} reader");
        if (reader is SeriesParquetReader) return new SeriesParquetReader(data.TimeColumn).Read(path, cancellation);
        if (!string.Equals(data.TimeColumn, "date", StringComparison.Ordinal))
            throw new JobOptionsException("options.data.timeColumn", $"applies to the CSV and Parquet readers; {path} is read by {reader.GetType().Name}, which finds its own time column");
        return reader.Read(path, cancellation);
    }

    /// <summary>
    /// The <paramref name="modelType"/> model for <paramref name="horizon"/>: loaded from <c>model.weights</c> when the
    /// job names a run folder, otherwise trained (checkpointed, resumable, best validation epoch kept) and saved under
    /// <c>models/</c> in this run.
    /// </summary>
    public (nn.Module<Tensor, Tensor> Model, FitReport Report) Fit(string modelType, ForecastDataset data, int horizon, CancellationToken cancellation)
    {
        var spec = new ForecastModelSpec(data.Lookback, horizon, data.InputColumns.Length, data.OutputPositions, options.Model, options.Baselines);
        random.manual_seed(options.Training.SeedFor(horizon));
        var model = ForecastModels.Create(modelType, spec);
        string name = $"{modelType}-h{horizon}";
        var saved = new SavedForecaster(modelType, data.Lookback, horizon, data.InputColumns.Length, data.OutputPositions,
            [.. data.OutputColumns.Select(c => data.Frame.Names[c])], options.Model, options.Baselines);

        if (options.Model.Weights is { } weights)
        {
            var (loaded, _) = context.Models.Load<SavedForecaster, nn.Module<Tensor, Tensor>>(weights, name, config =>
            {
                if (config.Lookback != saved.Lookback || config.Variates != saved.Variates || !config.Outputs.SequenceEqual(saved.Outputs))
                    throw new JobOptionsException("options.model.weights",
                        $"{weights}: model {name} was fitted for lookback {config.Lookback} on {config.Variates} variates forecasting [{string.Join(", ", config.Outputs)}]; this job has lookback {saved.Lookback}, {saved.Variates} variates, [{string.Join(", ", saved.Outputs)}]");
                return model;
            });
            loaded.eval();
            return (loaded, new FitReport(modelType, horizon, null, 0, false, 0, Loaded: true));
        }

        var clock = Stopwatch.StartNew();
        var result = Train(model, data, horizon, name, cancellation);
        context.Models.Save(name, model, saved);
        return (model, new FitReport(modelType, horizon, result.BestValidationMetric, result.EpochsRun, result.StoppedEarly, clock.Elapsed.TotalSeconds, Loaded: false));
    }

    /// <summary>Forecasts every window: [W, H, C_out], z-scored.</summary>
    public static Tensor Forecast(nn.Module<Tensor, Tensor> model, WindowSet windows)
    {
        model.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        for (int start = 0; start < windows.Count; start += InferenceBatch)
            parts.Add(model.forward(windows.Inputs[start..Math.Min(windows.Count, start + InferenceBatch)]));
        var all = cat(parts, 0);
        foreach (var part in parts) part.Dispose();
        return all;
    }

    private TrainingResult Train(nn.Module<Tensor, Tensor> model, ForecastDataset data, int horizon, string name, CancellationToken cancellation)
    {
        using var train = data.Windows(data.Splits.Train, horizon, "train");
        using var validation = data.Windows(data.Splits.Validation, horizon, "validation");
        var training = options.Training;
        int batchesPerEpoch = (train.Count + training.BatchSize - 1) / training.BatchSize;

        IReadOnlyList<Tensor> Batches(int epoch)
        {
            // A pure function of the epoch, so a resumed run replays the same order.
            var order = randperm(train.Count, generator: new Generator((ulong)training.SeedFor(horizon, epoch)));
            return [.. Enumerable.Range(0, batchesPerEpoch).Select(b => order[(b * training.BatchSize)..Math.Min(train.Count, (b + 1) * training.BatchSize)].MoveToOuterDisposeScope())];
        }

        double Validate()
        {
            using var forecast = Forecast(model, validation);
            return nn.functional.mse_loss(forecast, validation.Targets).item<float>();
        }

        var result = context.Training.Fit(name, model, training, Batches,
            batch => nn.functional.mse_loss(model.forward(train.Inputs.index_select(0, batch)), train.Targets.index_select(0, batch)),
            Validate, "val mse", training.SeedFor(horizon), cancellation);
        model.eval();
        return result;
    }
}
