using System.Globalization;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Mamba.Host.Tests;

namespace Mamba.ExtensionKit.Tests;

/// <summary>
/// plugins/samples/ArrowSeries, built out of tree from the packed SDK, adds an Arrow reader that the bundled forecasting
/// plugin's jobs then use without knowing of it.
/// </summary>
[Collection(ThirdPartyWorkspace.Collection)]
public sealed class ArrowSamplePluginTests(ThirdPartyWorkspace workspace)
{
    private static readonly string WeatherCsv = Path.Combine(ThirdPartyWorkspace.RepositoryRoot, "plugins", "Mamba.Forecasting", "data", "weather_wide.csv");
    private static readonly string EvaluateJob = Path.Combine(ThirdPartyWorkspace.RepositoryRoot, "plugins", "Mamba.Forecasting", "jobs", "weather-evaluate.json");
    private static readonly string[] Tiny = ["--set", "data.horizons=[24]", "--set", "model.dModel=16", "--set", "model.dFf=16", "--set", "model.layers=1", "--set", "training.epochs=1"];

    [Fact]
    public void A_forecasting_job_reads_an_Arrow_file_through_the_sample_plugin_with_the_same_result_as_the_CSV()
    {
        string plugins = BuildSample();
        string arrow = Path.Combine(workspace.Root, "weather.arrow");
        WriteArrowCopy(WeatherCsv, arrow);

        var fromCsv = Evaluate(WeatherCsv, plugins);
        var fromArrow = Evaluate(arrow, plugins);

        foreach (string model in new[] { "persistence", "seasonal-naive", "dlinear", "s-mamba" })
            Assert.True(Math.Abs(fromCsv[model] - fromArrow[model]) <= 1e-6 * fromCsv[model], $"{model}: MSE {fromArrow[model]} from Arrow, {fromCsv[model]} from CSV");
    }

    [Fact]
    public void Without_the_sample_plugin_the_Arrow_file_has_no_reader()
    {
        string arrow = Path.Combine(workspace.Root, "weather-alone.arrow");
        WriteArrowCopy(WeatherCsv, arrow);

        var (code, _, errors) = MambaProcess.Run(workspace.Root, ["run", EvaluateJob, "--out", Path.Combine(workspace.Root, "runs"), "--set", $"data.path={arrow}", .. Tiny]);

        Assert.NotEqual(0, code);
        Assert.Contains("No reader of SeriesFrame claims '.arrow' files", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_plugin_folder_ships_its_private_dependency_and_nothing_the_host_provides()
    {
        string layout = Path.Combine(BuildSample(), "arrow-series", "1.0.0");

        var assemblies = Directory.EnumerateFiles(layout, "*.dll").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["Apache.Arrow.Scalars.dll", "Apache.Arrow.dll", "ArrowSeries.dll"], assemblies);
        Assert.False(Directory.Exists(Path.Combine(layout, "runtimes")), "native libraries of the host's packages were copied into the plugin");
    }

    /// <summary>Copies plugins/samples out of the repository and builds it against the local feed; returns its plugin folder.</summary>
    private string BuildSample()
    {
        string samples = Path.Combine(workspace.Root, "samples");
        string layout = Path.Combine(samples, "ArrowSeries", "bin", "Release", "plugin");
        lock (workspace)
        {
            if (Directory.Exists(layout)) return layout;
            ThirdPartyWorkspace.CopyDirectory(Path.Combine(ThirdPartyWorkspace.RepositoryRoot, "plugins", "samples"), samples);
            // The sample's own nuget.config points at the repository's .feed; here the workspace's config applies.
            File.Delete(Path.Combine(samples, "nuget.config"));
            workspace.Dotnet(samples, "build", "ArrowSeries", "-c", "Release", $"-p:MambaSdkPackageVersion={workspace.PackageVersion}");
            return layout;
        }
    }

    private Dictionary<string, double> Evaluate(string data, string plugins)
    {
        var (code, output, errors) = MambaProcess.Run(workspace.Root, ["run", EvaluateJob, "--plugins", plugins, "--out", Path.Combine(workspace.Root, "runs"), "--set", $"data.path={data}", .. Tiny]);
        Assert.True(code == 0, $"evaluate on {data} exited {code}: {errors}");
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output.Trim().Split('\n')[^1].Trim(), "metrics.json")))!;
        return metrics["horizons"]![0]!["scores"]!.AsArray().ToDictionary(s => (string)s!["model"]!, s => (double)s!["mse"]!);
    }

    /// <summary>Writes the CSV's rows as an Arrow IPC file (date32 time column, float64 values) in two record batches.</summary>
    private static void WriteArrowCopy(string csv, string arrow)
    {
        var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToArray();
        var names = lines[0].Split(',');
        var rows = lines[1..].Select(l => l.Split(',')).ToArray();
        var schema = new Schema(
            [new Field(names[0], Date32Type.Default, nullable: false), .. names[1..].Select(n => new Field(n, DoubleType.Default, nullable: true))],
            metadata: null);

        using var stream = File.Create(arrow);
        using var writer = new ArrowFileWriter(stream, schema);
        int half = rows.Length / 2;
        foreach (var batch in new[] { rows[..half], rows[half..] })
        {
            var dates = new Date32Array.Builder();
            foreach (var row in batch) dates.Append(DateTime.Parse(row[0], CultureInfo.InvariantCulture));
            var columns = new List<IArrowArray> { dates.Build() };
            for (int c = 1; c < names.Length; c++)
            {
                var values = new DoubleArray.Builder();
                foreach (var row in batch)
                {
                    if (row[c].Length == 0) values.AppendNull();
                    else values.Append(double.Parse(row[c], CultureInfo.InvariantCulture));
                }
                columns.Add(values.Build());
            }
            using var record = new RecordBatch(schema, columns, batch.Length);
            writer.WriteRecordBatch(record);
        }
        writer.WriteEnd();
    }
}
