using McMaster.NETCore.Plugins;
using Mamba.Sdk.Exports;
using Microsoft.Extensions.DependencyInjection;
using NuGet.Versioning;

namespace Mamba.Host.Plugins;

/// <summary>Where a plugin stands.</summary>
internal enum PluginStatus
{
    /// <summary>Manifest and SDK range fine; code not loaded yet.</summary>
    Compatible,

    /// <summary>Loaded: exports read, startup run.</summary>
    Loaded,

    /// <summary>Built for another SDK, or ships what the host must provide.</summary>
    Incompatible,

    /// <summary>Bad manifest, missing assembly, type-load failure or an exception in its startup.</summary>
    Broken,

    /// <summary>The same id and version was found earlier on the search path.</summary>
    Shadowed,
}

/// <summary>One <c>&lt;id&gt;/&lt;version&gt;/</c> folder found on the search path, and what became of it.</summary>
internal sealed class PluginEntry(string directory, string folderId, string folderVersion)
{
    public string Directory { get; } = directory;

    public PluginManifest? Manifest { get; init; }

    public string Id => Manifest?.Id ?? folderId;

    public string VersionText => Manifest?.Version.ToNormalizedString() ?? folderVersion;

    public NuGetVersion? Version => Manifest?.Version;

    public PluginStatus Status { get; set; }

    /// <summary>Why the plugin is not usable (or what shadows it).</summary>
    public string? Reason { get; set; }

    public LoadedPlugin? Loaded { get; set; }

    public bool IsUsable => Status is PluginStatus.Compatible or PluginStatus.Loaded;

    public override string ToString() => $"{Id}@{VersionText}";
}

/// <summary>A plugin whose code is loaded, in its own load context.</summary>
internal sealed record LoadedPlugin(
    PluginLoader Loader,
    System.Reflection.Assembly Assembly,
    IReadOnlyList<ExportInfo> Exports,
    IReadOnlyList<Type> ScanKernels,
    IServiceCollection Services);
