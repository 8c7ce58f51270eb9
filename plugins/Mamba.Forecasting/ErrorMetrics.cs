using static TorchSharp.torch;

namespace Mamba.Forecasting;

/// <summary>Forecast errors over every element of same-shaped prediction and target tensors, in float64.</summary>
public static class ErrorMetrics
{
    /// <summary>Mean squared error.</summary>
    public static double MeanSquared(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        using var scope = NewDisposeScope();
        return (predictions - targets).square().mean().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>Mean absolute error.</summary>
    public static double MeanAbsolute(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        using var scope = NewDisposeScope();
        return (predictions - targets).abs().mean().to_type(ScalarType.Float64).item<double>();
    }
}
