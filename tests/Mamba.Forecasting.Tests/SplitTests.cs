using System.Globalization;
using System.Text;
using Mamba.Forecasting;
using Mamba.Forecasting.Data;

namespace Mamba.Forecasting.Tests;

public sealed class SplitTests
{
    [Fact]
    public void ETTh1_layout_file_gets_the_ETT_borders()
    {
        // A generated file in the real ETTh1 layout and length (17,420 hourly rows); the values are synthetic.
        string dir = Directory.CreateTempSubdirectory().FullName;
        string path = Path.Combine(dir, "ETTh1.csv");
        var text = new StringBuilder("date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n");
        var start = new DateTime(2016, 7, 1);
        for (int r = 0; r < 17_420; r++)
            text.Append(CultureInfo.InvariantCulture, $"{start.AddHours(r):yyyy-MM-dd HH:mm:ss},{r % 24},1,2,3,4,5,{Math.Sin(r / 24.0):F4}\n");
        File.WriteAllText(path, text.ToString());

        var frame = new SeriesCsvReader().Read(path, CancellationToken.None);
        var data = ForecastDataset.Prepare(frame, new DataOptions { Path = path, Lookback = 96 });

        Assert.Equal(17_420, frame.RowCount);
        Assert.Equal("OT", frame.Names[^1]);
        // Hand-computed: 12/4/4 months of 30 days × 24 h = 8640 / 2880 / 2880; validation and test start 96 rows early.
        Assert.Equal(new SplitRange(0, 8640), data.Splits.Train);
        Assert.Equal(new SplitRange(8544, 11_520), data.Splits.Validation);
        Assert.Equal(new SplitRange(11_424, 14_400), data.Splits.Test);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void ETTm_files_use_four_times_the_hourly_borders()
    {
        var splits = ForecastSplits.For("ETTm2.csv", 69_680, 96);
        Assert.Equal(new SplitRange(0, 34_560), splits.Train);
        Assert.Equal(new SplitRange(34_464, 46_080), splits.Validation);
        Assert.Equal(new SplitRange(45_984, 57_600), splits.Test);
    }

    [Fact]
    public void Other_files_get_7_1_2_borders()
    {
        // 1,461 rows: train int(0.7·1461) = 1022, test int(0.2·1461) = 292, validation 147.
        var splits = ForecastSplits.For("weather_wide.csv", 1461, 96);
        Assert.Equal(new SplitRange(0, 1022), splits.Train);
        Assert.Equal(new SplitRange(926, 1169), splits.Validation);
        Assert.Equal(new SplitRange(1073, 1461), splits.Test);
    }

    [Fact]
    public void Scaler_is_fitted_on_training_rows_only()
    {
        double[] values = [.. Enumerable.Range(0, 100).Select(i => i < 70 ? 1.0 + i % 2 : 1000.0)];
        var scaler = StandardScaler.Fit([values], 70);
        Assert.Equal(1.5, scaler.Mean[0], 12);
        Assert.Equal(0.5, scaler.Std[0], 12);
    }
}
