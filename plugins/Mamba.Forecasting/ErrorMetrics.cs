using Mamba.Sdk.Exports;
using static TorchSharp.torch;

namespace Mamba.Forecasting;

/// <summary>Mean squared error over every element.</summary>
[Metric("mse", Description = "Mean squared error")]
public sealed class MeanSquaredError : IMetric
{
    /// <inheritdoc/>
    public double Compute(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        using var scope = NewDisposeScope();
        return (predictions - targets).square().mean().to_type(ScalarType.Float64).item<double>();
    }
}

/// <summary>Mean absolute error over every element.</summary>
[Metric("mae", Description = "Mean absolute error")]
public sealed class MeanAbsoluteError : IMetric
{
    /// <inheritdoc/>
    public double Compute(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        using var scope = NewDisposeScope();
        return (predictions - targets).abs().mean().to_type(ScalarType.Float64).item<double>();
    }
}
