using static TorchSharp.torch;

namespace Mamba.Forecasting.Models;

/// <summary>The two forecasts that need no fitting; every evaluation reports them.</summary>
public static class NaiveForecasts
{
    /// <summary>Persistence: every step repeats the last input value. x: [B, L, N] → [B, H, N_out].</summary>
    public static Tensor Persistence(Tensor x, int horizon, long[] outputPositions)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x[.., ^1.., ..].index_select(2, tensor(outputPositions)).expand(-1, horizon, -1).contiguous();
    }

    /// <summary>Seasonal naive: step h repeats the input value one period earlier, x[L − p + (h mod p)].</summary>
    public static Tensor SeasonalNaive(Tensor x, int horizon, int period, long[] outputPositions)
    {
        ArgumentNullException.ThrowIfNull(x);
        long lookback = x.shape[1];
        var steps = tensor(Enumerable.Range(0, horizon).Select(h => lookback - period + h % period).ToArray());
        return x.index_select(1, steps).index_select(2, tensor(outputPositions));
    }
}
