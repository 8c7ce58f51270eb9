using Mamba.Forecasting;
using Mamba.Forecasting.Data;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;

namespace Mamba.Forecasting.Tests;

public sealed class FeatureModeTests
{
    private static SeriesFrame Frame() => new("synthetic.csv",
        [.. Enumerable.Range(0, 40).Select(i => new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i))],
        ["a", "b", "c"],
        [[.. Enumerable.Range(0, 40).Select(i => (double)i)], [.. Enumerable.Range(0, 40).Select(i => 2.0 * i)], [.. Enumerable.Range(0, 40).Select(i => -1.0 * i)]]);

    [Theory]
    [InlineData(FeatureMode.M, null, new[] { 0, 1, 2 }, new[] { 0, 1, 2 })]
    [InlineData(FeatureMode.S, null, new[] { 2 }, new[] { 2 })]
    [InlineData(FeatureMode.MS, null, new[] { 0, 1, 2 }, new[] { 2 })]
    [InlineData(FeatureMode.MS, "a", new[] { 0, 1, 2 }, new[] { 0 })]
    [InlineData(FeatureMode.S, "b", new[] { 1 }, new[] { 1 })]
    public void Feature_mode_chooses_inputs_and_outputs(FeatureMode mode, string? target, int[] inputs, int[] outputs)
    {
        var data = ForecastDataset.Prepare(Frame(), new DataOptions { Path = "synthetic.csv", Lookback = 4, Horizons = [2], Features = mode, Target = target });

        Assert.Equal(inputs, data.InputColumns);
        Assert.Equal(outputs, data.OutputColumns);
        using var windows = data.Windows(data.Splits.Train, 2, "train");
        Assert.Equal([windows.Count, 4L, inputs.Length], windows.Inputs.shape);
        Assert.Equal([windows.Count, 2L, outputs.Length], windows.Targets.shape);
    }

    [Fact]
    public void Windows_hold_the_next_rows_after_their_lookback()
    {
        var data = ForecastDataset.Prepare(Frame(), new DataOptions { Path = "synthetic.csv", Lookback = 4, Horizons = [2], Features = FeatureMode.S, Target = "a" });
        using var windows = data.Windows(data.Splits.Test, 2, "test");
        // Column a is 0, 1, 2…; unscaled, window w's targets are rows start+w+4 and start+w+5.
        using var first = data.Unscale(windows.Targets[0]);
        Assert.Equal([data.Splits.Test.Start + 4f, data.Splits.Test.Start + 5f], first.data<float>().ToArray().Select(v => MathF.Round(v, 3)).ToArray());
    }

    [Fact]
    public void An_unknown_target_names_the_columns()
    {
        var e = Assert.Throws<JobOptionsException>(() => ForecastDataset.Prepare(Frame(), new DataOptions { Path = "synthetic.csv", Lookback = 4, Horizons = [2], Target = "z" }));
        Assert.Equal("options.data.target", e.KeyPath);
        Assert.Contains("'z' is not a column of synthetic.csv; its columns: a, b, c", e.Message);
    }
}
