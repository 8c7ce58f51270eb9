using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mamba.Host.Tests;

/// <summary>
/// A temporary folder with a plugins/ search folder filled from the test plugins' build output, plus the variants the
/// tests need (a second version, an incompatible one, broken ones), and helpers for job files.
/// </summary>
public sealed class PluginWorkspace : IDisposable
{
    public PluginWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("mamba-host-").FullName;
        Plugins = Directory.CreateDirectory(Path.Combine(Root, "my-plugins")).FullName;
        foreach (string layout in MambaProcess.TestPluginLayouts)
        {
            var version = new DirectoryInfo(layout.TrimEnd('/'));
            Copy(version.FullName, Path.Combine(Plugins, version.Parent!.Name, version.Name));
        }
        AddVariant("alpha", "1.0.0", "2.0.0", sdk: null);
        AddVariant("alpha", "1.0.0", "0.9.0", sdk: "[2.0,3.0)");
        Directory.CreateDirectory(Path.Combine(Plugins, "broken", "1.0.0"));
        File.WriteAllText(Path.Combine(Plugins, "broken", "1.0.0", "plugin.json"), "{ \"id\": \"broken\", ");
        Directory.CreateDirectory(Path.Combine(Plugins, "ghost", "1.0.0"));
        File.WriteAllText(Path.Combine(Plugins, "ghost", "1.0.0", "plugin.json"),
            """{ "id": "ghost", "version": "1.0.0", "sdk": "[1.0,2.0)", "entryAssembly": "Ghost.dll", "description": "no assembly" }""");
    }

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public string Root { get; }

    public string Plugins { get; }

    /// <summary>Runs mamba in the workspace with <c>--plugins</c> pointing at its plugins.</summary>
    public (int ExitCode, string Output, string Errors) Mamba(params string[] args) => MambaProcess.Run(Root, [.. args, "--plugins", Plugins]);

    public MambaProcess Start(params string[] args) => new(Root, null, [.. args, "--plugins", Plugins]);

    public string WriteJob(string name, string plugin, string task, object options)
    {
        string path = Path.Combine(Root, name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { plugin, task, options }, Web));
        return path;
    }

    public static JsonNode ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    public static string RunFolder(string output) => output.Trim().Split('\n')[^1].Trim();

    /// <summary>Runs <paramref name="job"/> with its output under <paramref name="root"/>; asserts success and returns the run folder.</summary>
    public static string RunJob(string root, string job, params string[] arguments)
    {
        var (code, output, errors) = MambaProcess.Run(root, ["run", job, "--out", Path.Combine(root, "runs"), .. arguments]);
        Assert.True(code == 0, $"{Path.GetFileName(job)} exited {code}: {errors}");
        return RunFolder(output);
    }

    /// <summary>Copies plugin <paramref name="id"/>'s version <paramref name="from"/> as version <paramref name="to"/> (once), here or under <paramref name="searchFolder"/>.</summary>
    public void AddVariant(string id, string from, string to, string? sdk, string? searchFolder = null)
    {
        string target = Path.Combine(searchFolder ?? Plugins, id, to);
        if (Directory.Exists(target)) return;
        Copy(Path.Combine(Plugins, id, from), target);
        var manifest = ReadJson(Path.Combine(target, "plugin.json"));
        manifest["version"] = to;
        if (sdk is not null) manifest["sdk"] = sdk;
        File.WriteAllText(Path.Combine(target, "plugin.json"), manifest.ToJsonString());
    }

    private static void Copy(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
