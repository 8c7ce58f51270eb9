using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

/// <summary>The bundled forecasting plugin's sample jobs through the real host, at tiny sizes (the quality run is docs/results/forecasting.md).</summary>
public sealed class ForecastingJobTests : IDisposable
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Forecasting", "jobs");
    private static readonly string[] Tiny = ["--set", "data.horizons=[24]", "--set", "model.dModel=16", "--set", "model.dFf=16", "--set", "model.layers=1", "--set", "training.epochs=1"];
    private readonly string root = Directory.CreateTempSubdirectory("mamba-forecast-").FullName;

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), [.. Tiny, .. extra]);

    [Fact]
    public void Evaluate_scores_the_model_beside_every_baseline()
    {
        string folder = Run("weather-evaluate.json");

        var horizon = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))!["horizons"]![0]!;
        Assert.Equal(24, (int)horizon["horizon"]!);
        var models = horizon["scores"]!.AsArray().Select(s => (string)s!["model"]!).ToList();
        Assert.Equal(["s-mamba", "dlinear", "persistence", "seasonal-naive"], models);
        Assert.All(horizon["scores"]!.AsArray(), s => Assert.InRange((double)s!["mse"]!, 1e-6, 100));
        Assert.Contains("| 24 |", File.ReadAllText(Path.Combine(folder, "results.md")));
        Assert.True(File.Exists(Path.Combine(folder, "models", "s-mamba-h24", "model.safetensors")));
    }

    [Fact]
    public async Task Predict_from_a_trained_run_forecasts_past_the_last_day()
    {
        string trained = Run("weather-train.json");
        string folder = Run("weather-predict.json", "--set", $"model.weights={trained}");

        var table = await ParquetTable.ReadAsync(Path.Combine(folder, "forecast.parquet"));
        var dates = (DateTime[])table[0].Values;
        Assert.Equal(24, dates.Length);
        Assert.Equal(new DateTime(2016, 1, 1), dates[0].Date);
        Assert.Equal(new DateTime(2016, 1, 24), dates[^1].Date);
        Assert.Equal(2 + 8, table.Count);
        var png = File.ReadAllBytes(Path.Combine(folder, "forecast.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public void Bad_data_fails_the_run_naming_file_row_and_column()
    {
        string data = Path.Combine(root, "broken.csv");
        File.WriteAllLines(data, ["date,a,b", "2020-01-01,1,2", "2020-01-02,x,3"]);
        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "weather-evaluate.json"), "--out", Path.Combine(root, "runs"), "--set", $"data.path={data}"]);
        Assert.Equal(1, code);
        Assert.Contains($"{data}, row 3, column 'a': 'x' is not a number", errors);
    }

    [Fact]
    public void A_users_semicolon_csv_with_a_timestamp_column_and_gaps_runs_under_each_missing_value_policy()
    {
        // Synthetic: 160 hourly rows of a daily sine, European layout (';', quoted fields, decimal comma, dd.MM.yyyy),
        // the time column second, four empty cells in "load; kW" and one in "temp".
        string data = Path.Combine(root, "meter.csv");
        var start = new DateTime(2021, 3, 7);
        File.WriteAllLines(data, ["\"load; kW\";\"timestamp\";\"temp\"", .. Enumerable.Range(0, 160).Select(i =>
        {
            string load = i is 20 or 21 or 90 or 91 ? "" : FormattableString.Invariant($"\"{10 + 3 * Math.Sin(i * Math.PI / 12):F2}\"").Replace('.', ',');
            string temp = i == 50 ? "" : FormattableString.Invariant($"{5 + Math.Cos(i * Math.PI / 12):F1}").Replace('.', ',');
            return $"{load};\"{start.AddHours(i):dd.MM.yyyy HH:mm}\";{temp}";
        })]);
        string[] layout = ["--set", $"data.path={data}", "--set", "data.timeColumn=timestamp", "--set", "data.timeFormat=dd.MM.yyyy HH:mm",
            "--set", "data.decimalSeparator=,", "--set", "data.lookback=12", "--set", "data.horizons=[6]"];

        var (code, _, errors) = MambaProcess.Run(root, ["validate", Path.Combine(Jobs, "weather-train.json"), .. layout]);
        Assert.Equal(1, code);
        Assert.Contains($"{data}, row 22, column 'load; kW': missing value (set data.missing to forward-fill or linear", errors, StringComparison.Ordinal);

        foreach (string policy in new[] { "forward-fill", "linear" })
        {
            string folder = Run("weather-train.json", [.. layout, "--set", $"data.missing={policy}"]);
            var read = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))!["data"]!;
            Assert.Equal(5, (int)read["filledCells"]!);
            Assert.Equal(policy, (string)read["missing"]!);
            Assert.True(double.IsFinite((double)JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")))!["horizons"]![0]!["testMse"]!));
        }
    }

    public void Dispose() => Directory.Delete(root, true);
}
