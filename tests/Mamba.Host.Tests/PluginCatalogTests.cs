using System.Text.Json.Nodes;

namespace Mamba.Host.Tests;

public sealed class PluginCatalogTests : IClassFixture<PluginWorkspace>
{
    private readonly PluginWorkspace workspace;

    public PluginCatalogTests(PluginWorkspace workspace) => this.workspace = workspace;

    private JsonArray ListPlugins(params string[] extra)
    {
        var (code, output, errors) = workspace.Mamba(["plugins", "list", "--json", .. extra]);
        Assert.True(code == 0, $"plugins list exited {code}: {errors}");
        return (JsonArray)JsonNode.Parse(output)!["plugins"]!;
    }

    private static JsonNode Entry(JsonArray plugins, string id, string version) =>
        plugins.First(p => (string)p!["id"]! == id && (string)p["version"]! == version)!;

    [Fact]
    public void List_with_load_loads_good_plugins_and_names_the_reason_for_each_bad_one()
    {
        var plugins = ListPlugins("--load");

        Assert.Equal("loaded", (string)Entry(plugins, "alpha", "1.0.0")["status"]!);
        Assert.Equal("loaded", (string)Entry(plugins, "alpha", "2.0.0")["status"]!);
        Assert.Equal("loaded", (string)Entry(plugins, "beta", "1.0.0")["status"]!);
        var old = Entry(plugins, "alpha", "0.9.0");
        Assert.Equal("incompatible", (string)old["status"]!);
        Assert.Contains("needs SDK [2.0.0, 3.0.0)", (string)old["reason"]!);
        var broken = Entry(plugins, "broken", "1.0.0");
        Assert.Equal("broken", (string)broken["status"]!);
        Assert.Contains("bad manifest", (string)broken["reason"]!);
        Assert.Contains("Ghost.dll is missing", (string)Entry(plugins, "ghost", "1.0.0")["reason"]!);
        var faulty = Entry(plugins, "faulty", "1.0.0");
        Assert.Equal("broken", (string)faulty["status"]!);
        Assert.Contains("exception in startup FaultyStartup: InvalidOperationException: the faulty plugin refuses to start", (string)faulty["reason"]!);
    }

    [Fact]
    public void List_reads_manifests_without_running_plugin_code()
    {
        var plugins = ListPlugins();

        // The faulty plugin's startup throws when it runs; listed from its manifest it is merely compatible.
        Assert.Equal("compatible", (string)Entry(plugins, "faulty", "1.0.0")["status"]!);
        Assert.Equal("compatible", (string)Entry(plugins, "alpha", "2.0.0")["status"]!);
        Assert.Equal("alpha", (string)Entry(plugins, "beta", "1.0.0")["extends"]![0]!);
        Assert.Contains("bad manifest", (string)Entry(plugins, "broken", "1.0.0")["reason"]!);
    }

    [Fact]
    public void List_finds_the_bundled_forecasting_plugin_in_the_hosts_own_folder()
    {
        var forecasting = ListPlugins().First(p => (string)p!["id"]! == "forecasting")!;
        Assert.Equal("compatible", (string)forecasting["status"]!);
        Assert.StartsWith(Path.GetDirectoryName(MambaProcess.HostAssembly)!, (string)forecasting["directory"]!);
    }

    [Fact]
    public void Plugin_folders_hold_no_copy_of_what_the_host_shares()
    {
        foreach (string layout in MambaProcess.TestPluginLayouts)
        {
            var files = Directory.EnumerateFiles(layout, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
            Assert.DoesNotContain("TorchSharp.dll", files);
            Assert.DoesNotContain("Mamba.Sdk.dll", files);
            Assert.DoesNotContain("Mamba.Core.dll", files);
            Assert.DoesNotContain("Parquet.dll", files);
            Assert.Contains("plugin.json", files);
        }
    }

    [Fact]
    public void Inspect_shows_exports_and_each_tasks_option_schema()
    {
        var (code, output, errors) = workspace.Mamba("plugins", "inspect", "alpha@1.0", "--json");
        Assert.True(code == 0, errors);
        var document = JsonNode.Parse(output)!;
        Assert.Equal("1.0.0", (string)document["version"]!);
        Assert.Contains(document["exports"]!.AsArray(), e => (string)e!["contract"]! == "IDatasetReader" && (string)e["name"]! == "shout");
        var echo = document["tasks"]!.AsArray().First(t => (string)t!["name"]! == "echo")!;
        var count = echo["optionsSchema"]!["properties"]!["count"]!;
        Assert.Equal(1, (double)count["minimum"]!);
        Assert.Equal(10, (double)count["maximum"]!);
        Assert.NotNull(echo["optionsSchema"]!["properties"]!["message"]);
    }

    [Fact]
    public void Inspect_of_an_unknown_plugin_exits_3()
    {
        var (code, _, errors) = workspace.Mamba("plugins", "inspect", "nowhere");
        Assert.Equal(3, code);
        Assert.Contains("No plugin 'nowhere'", errors);
    }
}
