using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Mamba.Host.Tests;

namespace Mamba.ExtensionKit.Tests;

/// <summary>The packages and the <c>dotnet new mamba-plugin</c> template, used outside this repository as a third party would.</summary>
[Collection(ThirdPartyWorkspace.Collection)]
public sealed class TemplatePluginTests(ThirdPartyWorkspace workspace)
{
    [Fact]
    public void Sdk_and_core_packages_carry_docs_readme_and_build_files()
    {
        var sdk = Entries(workspace.PackagePath("Mamba.Sdk"));
        Assert.Superset(new HashSet<string> { "lib/net10.0/Mamba.Sdk.dll", "lib/net10.0/Mamba.Sdk.xml", "README.md", "buildTransitive/Mamba.Sdk.targets", "buildTransitive/Mamba.Sdk.props", "buildTransitive/Mamba.Sdk.host-provided.txt" }, sdk);
        var core = Entries(workspace.PackagePath("Mamba.Core"));
        Assert.Superset(new HashSet<string> { "lib/net10.0/Mamba.Core.dll", "lib/net10.0/Mamba.Core.xml", "README.md", "buildTransitive/Mamba.Core.targets", "buildTransitive/ElfVersionNeeds.cs" }, core);

        string nuspec = ReadEntry(workspace.PackagePath("Mamba.Core"), "Mamba.Core.nuspec");
        Assert.Contains("id=\"TorchSharp\"", nuspec, StringComparison.Ordinal);
        Assert.DoesNotContain("TorchSharp-cpu", nuspec, StringComparison.Ordinal);
        Assert.DoesNotContain("libtorch", nuspec, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mamba.Sdk")]
    [InlineData("Mamba.Core")]
    [InlineData("Mamba.Plugin.Templates")]
    public void Every_package_carries_the_license(string id)
    {
        string nuspec = ReadEntry(workspace.PackagePath(id), $"{id}.nuspec");

        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
        Assert.Contains("LICENSE", Entries(workspace.PackagePath(id)));
        Assert.Equal(File.ReadAllText(Path.Combine(ThirdPartyWorkspace.RepositoryRoot, "LICENSE")), ReadEntry(workspace.PackagePath(id), "LICENSE"));
    }

    [Fact]
    public void Template_plugin_built_from_the_packages_is_listed_and_runs_its_sample_job()
    {
        var (code, output, errors) = MambaProcess.Run(workspace.Root, "plugins", "list", "--json", "--plugins", workspace.PluginsFolder);
        Assert.True(code == 0, errors);
        var plugin = JsonNode.Parse(output)!["plugins"]!.AsArray().Single(p => (string)p!["id"]! == ThirdPartyWorkspace.TemplatePluginId)!;
        Assert.True((string)plugin["status"]! == "compatible", $"{plugin["status"]}: {plugin["reason"]}");
        Assert.Equal($"[{ThirdPartyWorkspace.SdkMajorMinor}.0, 2.0.0)", (string)plugin["sdk"]!);

        string job = Path.Combine(workspace.TemplatePluginLayout, "jobs", "sample.json");
        (code, output, errors) = MambaProcess.Run(workspace.Root, "run", job, "--plugins", workspace.PluginsFolder, "--out", Path.Combine(workspace.Root, "runs"));
        Assert.True(code == 0, $"sample job exited {code}: {errors}");

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(output.Trim().Split('\n')[^1].Trim(), "metrics.json")))!;
        double expected = MovingAverageSmape(Path.Combine(workspace.TemplatePluginLayout, "data", "sample.tsv"), "sales", window: 7);
        Assert.Equal(expected, (double)metrics["smape"]!, 1e-9);
        Assert.Equal(120 - 7, (int)metrics["forecasts"]!);
    }

    [Fact]
    public void Template_plugin_folder_holds_the_plugin_and_its_content_but_nothing_the_host_provides()
    {
        var files = Directory.EnumerateFiles(workspace.TemplatePluginLayout, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(workspace.TemplatePluginLayout, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["WeatherTools.deps.json", "WeatherTools.dll", "WeatherTools.pdb", "data/SOURCES.md", "data/sample.tsv", "jobs/sample.json", "plugin.json"], files);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(workspace.TemplatePluginLayout, "plugin.json")))!;
        Assert.Equal(ThirdPartyWorkspace.TemplatePluginId, (string)manifest["id"]!);
        Assert.Equal($"[{ThirdPartyWorkspace.SdkMajorMinor},2.0)", (string)manifest["sdk"]!);
    }

    [Fact]
    public void Template_test_project_passes()
    {
        string output = workspace.Dotnet(workspace.TemplateInstance, "test", "--no-build", "-c", "Release");

        Assert.Contains("Passed!", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_defaults_to_the_SDK_version_this_repository_builds()
    {
        string template = Path.Combine(ThirdPartyWorkspace.RepositoryRoot, "core", "Mamba.Plugin.Templates", "content", "mamba-plugin", ".template.config", "template.json");

        var sdkVersion = JsonNode.Parse(File.ReadAllText(template))!["symbols"]!["sdkVersion"]!;

        Assert.Equal(ThirdPartyWorkspace.SdkVersion, (string)sdkVersion["defaultValue"]!);
    }

    private static HashSet<string> Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private static string ReadEntry(string package, string entry)
    {
        using var zip = ZipFile.OpenRead(package);
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>sMAPE (%) of forecasting each value by the mean of the <paramref name="window"/> before it.</summary>
    private static double MovingAverageSmape(string tsv, string column, int window)
    {
        var lines = File.ReadAllLines(tsv).Where(l => l.Length > 0).ToArray();
        int index = Array.IndexOf(lines[0].Split('\t'), column);
        var values = lines[1..].Select(l => double.Parse(l.Split('\t')[index], CultureInfo.InvariantCulture)).ToArray();
        var terms = Enumerable.Range(window, values.Length - window).Select(t =>
        {
            double forecast = values[(t - window)..t].Average();
            return 200 * Math.Abs(forecast - values[t]) / (Math.Abs(forecast) + Math.Abs(values[t]));
        });
        return terms.Average();
    }
}
