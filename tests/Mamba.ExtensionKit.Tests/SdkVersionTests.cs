using System.Text.Json.Nodes;
using Mamba.Host.Tests;

namespace Mamba.ExtensionKit.Tests;

/// <summary>
/// The template plugin (built against this SDK's 1.x package) under hosts carrying two other builds of the SDK: a
/// minor bump keeps it loading and running; a major bump makes the host refuse it, saying why.
/// </summary>
[Collection(ThirdPartyWorkspace.Collection)]
public sealed class SdkVersionTests(ThirdPartyWorkspace workspace)
{
    [Fact]
    public void A_minor_SDK_bump_keeps_the_plugin_loading_and_running()
    {
        string host = HostWithSdk(NextVersion(major: false));

        var plugin = ListedPlugin(host);
        Assert.True((string)plugin["status"]! == "loaded", $"{plugin["status"]}: {plugin["reason"]}");
        var (code, errors) = RunSampleJob(host);
        Assert.True(code == 0, $"sample job exited {code}: {errors}");
    }

    [Fact]
    public void A_major_SDK_bump_makes_the_host_refuse_the_plugin_with_the_reason()
    {
        string version = NextVersion(major: true);
        string host = HostWithSdk(version);

        var plugin = ListedPlugin(host);
        Assert.Equal("incompatible", (string)plugin["status"]!);
        Assert.Equal($"needs SDK [{ThirdPartyWorkspace.SdkMajorMinor}.0, 2.0.0), this host has SDK {version}", (string)plugin["reason"]!);
        var (code, errors) = RunSampleJob(host);
        Assert.Equal(3, code);
        Assert.Contains($"this host has SDK {version}", errors, StringComparison.Ordinal);
    }

    private static string NextVersion(bool major)
    {
        var parts = ThirdPartyWorkspace.SdkVersion.Split('.').Select(int.Parse).ToArray();
        return major ? $"{parts[0] + 1}.0.0" : $"{parts[0]}.{parts[1] + 1}.0";
    }

    /// <summary>
    /// Builds the SDK as <paramref name="version"/> into its own artifacts folder, and returns a host folder that is this
    /// repository's host with that Mamba.Sdk.dll (every other file linked, not copied).
    /// </summary>
    private string HostWithSdk(string version)
    {
        string artifacts = Path.Combine(workspace.Root, $"sdk-{version}");
        workspace.Dotnet(ThirdPartyWorkspace.RepositoryRoot, "build", "core/Mamba.Sdk/Mamba.Sdk.csproj", "-c", "Release", $"-p:MambaSdkVersion={version}", "--artifacts-path", artifacts);
        string host = Directory.CreateDirectory(Path.Combine(workspace.Root, $"host-sdk-{version}")).FullName;
        foreach (string entry in Directory.EnumerateFileSystemEntries(ThirdPartyWorkspace.HostDirectory))
        {
            string name = Path.GetFileName(entry);
            string target = Path.Combine(host, name);
            if (name == "Mamba.Sdk.dll") File.Copy(Path.Combine(artifacts, "bin", "Mamba.Sdk", "release", name), target);
            // The entry assembly must be a real file: the .NET host resolves links to find the application folder.
            else if (name == "mamba.dll") File.Copy(entry, target);
            else File.CreateSymbolicLink(target, entry);
        }
        return Path.Combine(host, "mamba.dll");
    }

    private JsonNode ListedPlugin(string host)
    {
        using var mamba = new MambaProcess(host, workspace.Root, null, ["plugins", "list", "--json", "--load", "--plugins", workspace.PluginsFolder]);
        Assert.Equal(0, mamba.WaitForExit(TimeSpan.FromMinutes(2)));
        return JsonNode.Parse(mamba.Output)!["plugins"]!.AsArray().Single(p => (string)p!["id"]! == ThirdPartyWorkspace.TemplatePluginId)!;
    }

    private (int Code, string Errors) RunSampleJob(string host)
    {
        string job = Path.Combine(workspace.TemplatePluginLayout, "jobs", "sample.json");
        using var mamba = new MambaProcess(host, workspace.Root, null, ["run", job, "--plugins", workspace.PluginsFolder, "--out", Path.Combine(workspace.Root, "runs")]);
        int code = mamba.WaitForExit(TimeSpan.FromMinutes(2));
        return (code, mamba.Errors);
    }
}
