using Mamba.Sdk.Jobs;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Models;

/// <summary>What a forecasting model is built for: sizes from the data plus the job's model options.</summary>
public sealed record ForecastModelSpec(int Lookback, int Horizon, int Variates, long[] OutputPositions, ModelOptions Model, BaselineOptions Baselines);

/// <summary>The forecasting models by their <c>model.type</c> name.</summary>
public static class ForecastModels
{
    /// <summary>S-Mamba: variate tokens, bidirectional Mamba across variates, FFN, linear head.</summary>
    public const string SMamba = "s-mamba";

    /// <summary>DLinear: moving-average decomposition, one linear map each.</summary>
    public const string DLinear = "dlinear";

    /// <summary>A new <paramref name="type"/> model for <paramref name="spec"/>, with freshly initialised parameters.</summary>
    /// <exception cref="JobOptionsException">No model has that name; the message lists the names.</exception>
    public static nn.Module<Tensor, Tensor> Create(string type, ForecastModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return type switch
        {
            SMamba => new Models.SMamba(spec.Lookback, spec.Horizon, spec.Variates, spec.OutputPositions, spec.Model),
            DLinear => new Models.DLinear(spec.Lookback, spec.Horizon, spec.Baselines.MovingAverage, spec.OutputPositions),
            _ => throw new JobOptionsException("options.model.type", $"'{type}' is not a forecasting model; the models are {SMamba} and {DLinear}"),
        };
    }
}
