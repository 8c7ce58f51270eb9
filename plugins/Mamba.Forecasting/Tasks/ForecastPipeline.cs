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
        var frame = context.Exports.ReaderFor<SeriesFrame>(path, options.Data.Format).Read(path, cancellation);
        return ForecastDataset.Prepare(frame, options.Data);
    }

    public ForecastDataset LoadData(CancellationToken cancellation)
    {
        string path = context.ResolvePath(options.Data.Path);
        var reader = context.Exports.ReaderFor<SeriesFrame>(path, options.Data.Format);
        var frame = reader.Read(path, cancellation);
        var data = ForecastDataset.Prepare(frame, options.Data);
        context.Logger.LogSeries(path, frame.RowCount, frame.Names.Count, data.Splits.Protocol, data.Splits.Train.Rows, data.Splits.Validation.End - data.Splits.Train.End, data.Splits.Test.End - data.Splits.Validation.End);
        return data;
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
