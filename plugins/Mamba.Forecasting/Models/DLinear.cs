using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Models;

/// <summary>
/// DLinear ("Are Transformers Effective for Time Series Forecasting?"): a moving average splits the input into trend
/// and remainder, and one linear map over time (shared by all variates) forecasts each; the forecasts add.
/// </summary>
public sealed class DLinear : nn.Module<Tensor, Tensor>
{
    private readonly Linear seasonal, trend;
    private readonly int kernel;
    private readonly Tensor outputPositions;

    /// <summary>A DLinear for lookback → horizon with a moving average of <paramref name="movingAverage"/> rows.</summary>
    public DLinear(int lookback, int horizon, int movingAverage, long[] outputPositions) : base(nameof(DLinear))
    {
        seasonal = nn.Linear(lookback, horizon);
        trend = nn.Linear(lookback, horizon);
        // The reference starts both maps as a plain average of the input.
        using (no_grad())
        {
            seasonal.weight!.fill_(1.0 / lookback);
            trend.weight!.fill_(1.0 / lookback);
        }
        kernel = movingAverage;
        this.outputPositions = tensor(outputPositions);
        RegisterComponents();
    }

    /// <summary>x: [B, L, N] → [B, H, N_out].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Replicate the ends so the average has as many rows as the input.
        int front = (kernel - 1) / 2, back = kernel - 1 - front;
        var padded = cat([x[.., ..1, ..].expand(-1, front, -1), x, x[.., ^1.., ..].expand(-1, back, -1)], 1);
        var movingMean = nn.functional.avg_pool1d(padded.permute(0, 2, 1), kernel, 1);      // [B, N, L]
        var remainder = x.permute(0, 2, 1) - movingMean;
        var y = (seasonal.forward(remainder) + trend.forward(movingMean)).permute(0, 2, 1);   // [B, H, N]
        return y.index_select(2, outputPositions.to(y.device)).MoveToOuterDisposeScope();
    }
}
