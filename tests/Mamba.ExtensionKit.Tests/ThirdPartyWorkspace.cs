using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Mamba.ExtensionKit.Tests;

/// <summary>
/// A third party's machine in a temp folder: the SDK, core and template packed into a local feed (a unique prerelease
/// version, so no package cache can serve a stale copy), a NuGet config that takes Mamba.* only from that feed, and a
/// plugin made with <c>dotnet new mamba-plugin</c> and built from the packages into <see cref="PluginsFolder"/>.
/// </summary>
public sealed class ThirdPartyWorkspace : IDisposable
{
    public const string Collection = "third-party workspace";
    public const string TemplatePluginId = "weather-tools";

    public ThirdPartyWorkspace()
    {
        Root = Directory.CreateTempSubdirectory("mamba-kit-").FullName;
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        PluginsFolder = Directory.CreateDirectory(Path.Combine(Root, "plugins")).FullName;
        PackageVersion = $"{SdkVersion}-e2e.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        WriteNuGetConfig();

        foreach (string project in new[] { "core/Mamba.Core", "core/Mamba.Sdk", "core/Mamba.Plugin.Templates" })
            Dotnet(RepositoryRoot, "pack", project, "-c", Configuration, "--no-build", "-o", Feed, $"-p:PackageVersion={PackageVersion}");

        string hive = Path.Combine(Root, "template-hive");
        Dotnet(Root, "new", "install", PackagePath("Mamba.Plugin.Templates"), "--debug:custom-hive", hive);
        Dotnet(Root, "new", "mamba-plugin", "-n", "WeatherTools", "-o", "src", "--sdk-version", PackageVersion, "--debug:custom-hive", hive);
        TemplateInstance = Path.Combine(Root, "src");
        Dotnet(TemplateInstance, "build", "-c", "Release");
        CopyDirectory(Path.Combine(TemplateInstance, "WeatherTools", "bin", "Release", "plugin", TemplatePluginId), Path.Combine(PluginsFolder, TemplatePluginId));
    }

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static string Configuration => Metadata("Configuration");

    /// <summary>The SDK version this repository builds (Directory.Build.props).</summary>
    public static string SdkVersion => Metadata("MambaSdkVersion");

    /// <summary>The SDK's major.minor: plugins built against it accept [major.minor, next major).</summary>
    public static string SdkMajorMinor => string.Join('.', SdkVersion.Split('.')[..2]);

    public static string HostDirectory => Path.GetDirectoryName(Metadata("HostAssembly"))!;

    public string Root { get; }

    public string Feed { get; }

    public string PackageVersion { get; }

    /// <summary>The <c>dotnet new mamba-plugin -n WeatherTools</c> output, built.</summary>
    public string TemplateInstance { get; }

    /// <summary>A plugin folder for the host's <c>--plugins</c>, holding the template plugin.</summary>
    public string PluginsFolder { get; }

    public string TemplatePluginLayout => Path.Combine(PluginsFolder, TemplatePluginId, "1.0.0");

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{PackageVersion}.nupkg");

    /// <summary>Runs the .NET CLI as a user's shell would (no test-host MSBuild settings, no build servers left behind).</summary>
    public string Dotnet(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["NUGET_PACKAGES"] = Path.Combine(Root, "packages");
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in 5 minutes:\n{output}");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} (in {workingDirectory}) exited {process.ExitCode}:\n{output}");
        lock (output) return output.ToString();
    }

    public static void CopyDirectory(string source, string target)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar) is var parts && (parts.Contains("bin") || parts.Contains("obj"))) continue;
            string destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    public void Dispose() => Directory.Delete(Root, true);

    /// <summary>Mamba.* from the local feed only; everything else from nuget.org, read first from this machine's package cache.</summary>
    private void WriteNuGetConfig()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local"><package pattern="Mamba.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
              <fallbackPackageFolders>
                <add key="machine-cache" value="{cache}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    private static string Metadata(string key) =>
        typeof(ThirdPartyWorkspace).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}

[CollectionDefinition(ThirdPartyWorkspace.Collection)]
public sealed class ThirdPartyWorkspaceDefinition : ICollectionFixture<ThirdPartyWorkspace>;
