using Mamba.Sdk.Exports;
using TorchSharp;

namespace Mamba.Forecasting.Models;

/// <summary>What a forecasting model is built for: sizes from the data plus the job's model options.</summary>
public sealed record ForecastModelSpec(int Lookback, int Horizon, int Variates, long[] OutputPositions, ModelOptions Model, BaselineOptions Baselines);

/// <summary>Builds <see cref="SMamba"/>.</summary>
[Model("s-mamba", Description = "S-Mamba: variate tokens, bidirectional Mamba across variates, FFN, linear head")]
public sealed class SMambaFactory : IModelFactory<ForecastModelSpec>
{
    /// <inheritdoc/>
    public Type SpecType => typeof(ForecastModelSpec);

    /// <inheritdoc/>
    public torch.nn.Module Create(ForecastModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new SMamba(spec.Lookback, spec.Horizon, spec.Variates, spec.OutputPositions, spec.Model);
    }
}

/// <summary>Builds <see cref="DLinear"/>.</summary>
[Model("dlinear", Description = "DLinear: moving-average decomposition, one linear map each")]
public sealed class DLinearFactory : IModelFactory<ForecastModelSpec>
{
    /// <inheritdoc/>
    public Type SpecType => typeof(ForecastModelSpec);

    /// <inheritdoc/>
    public torch.nn.Module Create(ForecastModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new DLinear(spec.Lookback, spec.Horizon, spec.Baselines.MovingAverage, spec.OutputPositions);
    }
}
