using TorchSharp;
using static TorchSharp.torch;

namespace MambaPlugin1;

/// <summary>
/// Symmetric mean absolute percentage error, in percent: mean of 200·|ŷ − y| / (|ŷ| + |y|), with terms where both are
/// zero counted as 0. Lower is better; 0 is perfect, 200 the worst.
/// </summary>
public static class SymmetricPercentageError
{
    /// <summary>sMAPE of <paramref name="predictions"/> against <paramref name="targets"/>, which must have one shape.</summary>
    public static double Compute(Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (!predictions.shape.SequenceEqual(targets.shape))
            throw new ArgumentException($"predictions {string.Join('x', predictions.shape)} and targets {string.Join('x', targets.shape)} differ in shape");
        using var scope = NewDisposeScope();
        var denominator = predictions.abs() + targets.abs();
        var terms = where(denominator > 0, 200 * (predictions - targets).abs() / denominator, zeros_like(denominator));
        return terms.mean().ToDouble();
    }
}
