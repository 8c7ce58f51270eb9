using Mamba.Forecasting;
using Mamba.Forecasting.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Tests;

public sealed class ModelTests
{
    private static readonly ModelOptions Small = new() { DModel = 16, DFf = 16, Layers = 1, DState = 4, Dropout = 0 };

    [Fact]
    public void SMamba_maps_lookback_to_horizon_for_the_chosen_outputs()
    {
        var model = new SMamba(24, 6, 3, [2], Small);
        using var y = model.forward(randn(4, 24, 3));
        Assert.Equal([4L, 6, 1], y.shape);
    }

    [Fact]
    public void SMamba_instance_normalisation_makes_it_shift_and_scale_equivariant()
    {
        // Normalising each variate's input and undoing it at the output means f(a·x + b) = a·f(x) + b per variate.
        var model = new SMamba(24, 6, 3, [0, 1, 2], Small);
        model.eval();
        var x = randn(2, 24, 3);
        using var plain = model.forward(x);
        using var moved = model.forward(x * 3 + 10);
        Assert.True(moved.allclose(plain * 3 + 10, rtol: 1e-3, atol: 1e-3), "S-Mamba must commute with per-variate affine maps");
    }

    [Fact]
    public void DLinear_starts_as_the_input_average_and_decomposes_exactly()
    {
        // At initialisation both maps average over time, and trend + remainder = input, so every step forecasts the input mean.
        var model = new DLinear(12, 4, 5, [0, 1]);
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("bias", StringComparison.Ordinal)) p.zero_();
        }
        var x = randn(3, 12, 2);
        using var y = model.forward(x);
        var mean = x.mean([1], keepdim: true).expand(-1, 4, -1);
        Assert.True(y.allclose(mean, atol: 1e-5));
    }

    [Fact]
    public void Naive_forecasts_repeat_the_last_value_and_the_last_season()
    {
        var x = arange(10, dtype: ScalarType.Float32).reshape(1, 10, 1);
        using var last = NaiveForecasts.Persistence(x, 3, [0]);
        using var seasonal = NaiveForecasts.SeasonalNaive(x, 5, 3, [0]);
        Assert.Equal([9f, 9, 9], last.data<float>().ToArray());
        Assert.Equal([7f, 8, 9, 7, 8], seasonal.data<float>().ToArray());
    }

    [Fact]
    public void SMamba_learns_a_noisy_periodic_series_better_than_persistence()
    {
        // Synthetic: two phase-shifted sines with noise; a few hundred steps must beat repeating the last value.
        random.manual_seed(7);
        int lookback = 32, horizon = 8, windows = 256;
        var t = arange(windows + lookback + horizon, dtype: ScalarType.Float32);
        var series = stack([sin(t * 0.4f), cos(t * 0.4f)], 1) + 0.05f * randn(t.shape[0], 2);
        var x = stack([.. Enumerable.Range(0, windows).Select(i => series[i..(i + lookback)])]);
        var y = stack([.. Enumerable.Range(0, windows).Select(i => series[(i + lookback)..(i + lookback + horizon)])]);
        var model = new SMamba(lookback, horizon, 2, [0, 1], Small);
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        double first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (step == 0) first = loss.item<float>();
            last = loss.item<float>();
        }
        double persistence = nn.functional.mse_loss(NaiveForecasts.Persistence(x, horizon, [0, 1]), y).item<float>();
        Assert.True(last < first / 4, $"training loss went from {first:F4} to {last:F4}");
        Assert.True(last < persistence, $"S-Mamba {last:F4} vs persistence {persistence:F4}");
    }
}
