using System.Reflection;
using McMaster.NETCore.Plugins;
using Mamba.Core.Scan;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NuGet.Versioning;
using TorchSharp;

namespace Mamba.Host.Plugins;

/// <summary>
/// Finds plugin folders on the search path, checks manifests before any plugin code runs, loads plugins (one load
/// context per plugin version, sharing the SDK, core, TorchSharp and Microsoft.Extensions types with the host) and
/// composes their exports. A broken or incompatible plugin is recorded with its reason and never stops the others.
/// </summary>
internal sealed partial class PluginCatalog(PluginSearchOptions search, ScanKernelRegistry kernels, ILogger<PluginCatalog> logger)
{
    /// <summary>Assemblies the host provides; a plugin folder holding its own copy is refused.</summary>
    private static readonly string[] HostOwnedFiles = ["Mamba.Sdk.dll", "Mamba.Core.dll", "TorchSharp.dll", "libtorch.so", "libtorch_cpu.so", "libLibTorchSharp.so"];

    /// <summary>Types whose assemblies are shared, so plugin exports are assignable to SDK contracts and tensors cross freely.</summary>
    private static readonly Type[] SharedTypes =
        [typeof(JobContext), typeof(ScanKernelRegistry), typeof(torch), typeof(IServiceCollection), typeof(ILogger), typeof(Parquet.ParquetReader)];

    private static readonly Lazy<HashSet<string>> HostAssemblyNames = new(() =>
        ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase));

    private IReadOnlyList<PluginEntry>? entries;

    /// <summary>The SDK version this host carries; manifests' ranges are checked against it.</summary>
    public static NuGetVersion SdkVersion { get; } = NuGetVersion.Parse(
        typeof(JobContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0]);

    /// <summary>The folders searched.</summary>
    public IReadOnlyList<string> SearchPath { get; } = search.Resolve();

    /// <summary>Every plugin folder found, with manifests checked (no plugin code loaded).</summary>
    public IReadOnlyList<PluginEntry> Entries => entries ??= Discover();

    /// <summary>Loads every usable plugin, running its startup code, so type-load and startup failures show (<c>plugins list --load</c>).</summary>
    public void LoadAll()
    {
        foreach (var entry in Entries) Load(entry);
    }

    /// <summary>The highest usable version matching <paramref name="reference"/>, loaded.</summary>
    /// <exception cref="PluginUnavailableException">None is usable; the message says why for each candidate.</exception>
    public PluginEntry Resolve(PluginReference reference)
    {
        var sameId = Entries.Where(e => e.Id == reference.Id && e.Status != PluginStatus.Shadowed).ToList();
        if (sameId.Count == 0)
        {
            var known = Entries.Where(e => e.IsUsable).Select(e => e.Id).Distinct().Order().ToList();
            throw new PluginUnavailableException(
                $"No plugin '{reference.Id}' on the plugin path ({string.Join(Path.PathSeparator, SearchPath)}). " +
                $"Available: {(known.Count == 0 ? "none" : string.Join(", ", known))}.");
        }
        // As NuGet does: a prerelease only when the reference itself names one.
        bool prereleaseAsked = reference.Range.MinVersion?.IsPrerelease == true || reference.Range.MaxVersion?.IsPrerelease == true;
        var matching = sameId.Where(e => e.Version is { } v && reference.Range.Satisfies(v) && (prereleaseAsked || !v.IsPrerelease))
            .OrderByDescending(e => e.Version).ToList();
        foreach (var candidate in matching.Where(e => e.IsUsable))
        {
            if (Load(candidate)) return candidate;
        }
        var why = (matching.Count == 0 ? sameId : matching).Select(e => $"{e}: {e.Reason ?? (matching.Count == 0 ? $"outside {reference.Range.ToNormalizedString()}" : e.Status.ToString())}");
        throw new PluginUnavailableException($"No usable version of plugin '{reference.Text}': {string.Join("; ", why)}.");
    }

    /// <summary>
    /// The exports a job of <paramref name="primary"/> sees: its own first, then those of the highest usable release
    /// of each plugin it is composed with (it lists them in <c>extends</c>, or they list it or <c>*</c>); services from
    /// their startup hooks; the host's scan kernels extended by theirs (<see cref="ExportCatalog.ScanKernels"/>), so a
    /// kernel serves only the jobs whose plugins are composed with it. No other plugin's code runs.
    /// </summary>
    public ExportCatalog Compose(PluginEntry primary, ILoggerFactory loggerFactory)
    {
        var plugins = new List<PluginEntry> { primary };
        var related = Entries.Where(e => e.Id != primary.Id && e.IsUsable && e.Manifest!.IsComposedWith(primary.Manifest!) && !e.Version!.IsPrerelease);
        foreach (var group in related.GroupBy(e => e.Id).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var chosen = group.OrderByDescending(e => e.Version).FirstOrDefault(Load);
            if (chosen is not null) plugins.Add(chosen);
        }

        IServiceCollection services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        foreach (var plugin in plugins)
            foreach (var descriptor in plugin.Loaded!.Services) services.Add(descriptor);

        var jobKernels = kernels.Extend(plugins.Where(p => p.Loaded!.ScanKernels.Count > 0).Select(p => p.Loaded!.Assembly));
        services.AddSingleton(jobKernels);
        var catalog = new ExportCatalog(plugins.SelectMany(p => p.Loaded!.Exports).ToList(), jobKernels);
        services.AddSingleton<IExportCatalog>(catalog);
        catalog.Services = services.BuildServiceProvider();
        return catalog;
    }

    /// <summary>Loads <paramref name="entry"/> if it is usable and not loaded yet; false (with the reason recorded) when it breaks.</summary>
    public bool Load(PluginEntry entry)
    {
        if (entry.Status == PluginStatus.Loaded) return true;
        if (entry.Status != PluginStatus.Compatible) return false;
        var manifest = entry.Manifest!;
        try
        {
            var loader = PluginLoader.CreateFromAssemblyFile(
                Path.Combine(entry.Directory, manifest.EntryAssembly),
                SharedTypes,
                config => config.PreferSharedTypes = true);
            var assembly = loader.LoadDefaultAssembly();
            RequireDependencies(loader, assembly, entry.Directory);
            var types = assembly.GetExportedTypes();
            var exports = new List<ExportInfo>();
            var kernels = new List<Type>();
            var services = new ServiceCollection();
            foreach (var type in types)
            {
                foreach (var attribute in type.GetCustomAttributes<MambaExportAttribute>(inherit: false))
                {
                    if (!attribute.Contract.IsAssignableFrom(type) || type.IsAbstract)
                        throw new PluginLoadException($"{type.FullName} is exported as {attribute.Contract.Name} '{attribute.Name}' but is not a concrete {attribute.Contract.Name}");
                    exports.Add(new ExportInfo(attribute.Contract, attribute.Name, manifest.Id, manifest.Version.ToNormalizedString(), type, attribute));
                }
                if (type.GetCustomAttribute<ScanKernelAttribute>() is not null) kernels.Add(type);
            }
            foreach (var startupType in types.Where(t => typeof(IPluginStartup).IsAssignableFrom(t) && !t.IsAbstract))
            {
                try
                {
                    ((IPluginStartup)Activator.CreateInstance(startupType)!).ConfigureServices(services);
                }
                catch (Exception e)
                {
                    var inner = e is TargetInvocationException { InnerException: { } cause } ? cause : e;
                    throw new PluginLoadException($"exception in startup {startupType.Name}: {inner.GetType().Name}: {inner.Message}");
                }
            }
            entry.Loaded = new LoadedPlugin(loader, assembly, exports, kernels, services);
            entry.Status = PluginStatus.Loaded;
            LogLoaded(logger, entry, exports.Count, entry.Directory);
            return true;
        }
        catch (Exception e) when (e is PluginLoadException or ReflectionTypeLoadException or TypeLoadException or FileNotFoundException
            or FileLoadException or BadImageFormatException or MissingMethodException)
        {
            entry.Status = PluginStatus.Broken;
            entry.Reason = e switch
            {
                PluginLoadException => e.Message,
                ReflectionTypeLoadException r => $"type-load failure: {string.Join("; ", r.LoaderExceptions.Select(x => x?.Message).Distinct())}",
                _ => $"type-load failure: {e.GetType().Name}: {e.Message}",
            };
            LogBroken(logger, entry, entry.Reason);
            return false;
        }
    }

    /// <summary>
    /// Loads every assembly the plugin references, transitively within its own folder, so that a missing private
    /// dependency marks the plugin broken now, with the file named, instead of failing a job halfway.
    /// </summary>
    private static void RequireDependencies(PluginLoader loader, Assembly entryAssembly, string directory)
    {
        // What the host provides (its own files and the framework) is shared, not looked for in the plugin folder.
        var seen = new HashSet<string>(HostAssemblyNames.Value, StringComparer.OrdinalIgnoreCase) { entryAssembly.GetName().Name! };
        var pending = new Stack<Assembly>([entryAssembly]);
        string folder = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.Name!)) continue;
                Assembly dependency;
                try
                {
                    dependency = loader.LoadAssembly(reference);
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    throw new PluginLoadException(
                        $"{assembly.GetName().Name} needs {reference.Name} {reference.Version}, which is not in {directory} and not provided by the host ({e.GetType().Name})");
                }
                // Only the plugin's own files are followed; what the host shares was checked when the host started.
                if (dependency.Location.StartsWith(folder, StringComparison.Ordinal)) pending.Push(dependency);
            }
        }
    }

    private List<PluginEntry> Discover()
    {
        var found = new List<PluginEntry>();
        var seen = new Dictionary<(string, string), PluginEntry>();
        foreach (string root in SearchPath.Where(Directory.Exists))
        {
            foreach (string idFolder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                foreach (string versionFolder in Directory.EnumerateDirectories(idFolder).Order(StringComparer.Ordinal))
                {
                    // Only <id>/<version>/ folders are plugins; anything else under a search folder (sources, bin/) is not ours.
                    if (!NuGetVersion.TryParse(Path.GetFileName(versionFolder), out _)) continue;
                    var entry = Inspect(versionFolder, Path.GetFileName(idFolder), Path.GetFileName(versionFolder));
                    var key = (entry.Id, entry.VersionText);
                    if (seen.TryGetValue(key, out var earlier) && entry.Manifest is not null)
                    {
                        entry.Status = PluginStatus.Shadowed;
                        entry.Reason = $"shadowed by {earlier.Directory}";
                    }
                    else seen[key] = entry;
                    found.Add(entry);
                }
            }
        }
        return found;
    }

    private static PluginEntry Inspect(string directory, string folderId, string folderVersion)
    {
        string manifestPath = Path.Combine(directory, PluginManifest.FileName);
        if (!File.Exists(manifestPath))
            return new PluginEntry(directory, folderId, folderVersion) { Status = PluginStatus.Broken, Reason = $"no {PluginManifest.FileName} in {directory}" };
        PluginManifest manifest;
        try
        {
            manifest = PluginManifest.Read(manifestPath);
        }
        catch (PluginManifestException e)
        {
            return new PluginEntry(directory, folderId, folderVersion) { Status = PluginStatus.Broken, Reason = $"bad manifest: {e.Reason}" };
        }

        var entry = new PluginEntry(directory, folderId, folderVersion) { Manifest = manifest, Status = PluginStatus.Compatible };
        if (manifest.Id != folderId || !NuGetVersion.Parse(folderVersion).Equals(manifest.Version))
            (entry.Status, entry.Reason) = (PluginStatus.Broken, $"manifest says {manifest.Id}@{manifest.Version} but the folder is {folderId}/{folderVersion}");
        else if (!manifest.Sdk.Satisfies(SdkVersion))
            (entry.Status, entry.Reason) = (PluginStatus.Incompatible, $"needs SDK {manifest.Sdk.ToNormalizedString()}, this host has SDK {SdkVersion}");
        else if (!File.Exists(Path.Combine(directory, manifest.EntryAssembly)))
            (entry.Status, entry.Reason) = (PluginStatus.Broken, $"entry assembly {manifest.EntryAssembly} is missing");
        else if (Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).FirstOrDefault(f => HostOwnedFiles.Contains(f)) is { } owned)
            (entry.Status, entry.Reason) = (PluginStatus.Incompatible, $"ships its own {owned}; the SDK, the core, TorchSharp and libtorch come from the host");
        return entry;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Loaded plugin {Plugin} ({Exports} exports) from {Directory}")]
    private static partial void LogLoaded(ILogger logger, PluginEntry plugin, int exports, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Plugin {Plugin} is broken: {Reason}")]
    private static partial void LogBroken(ILogger logger, PluginEntry plugin, string reason);
}

/// <summary>A plugin failed while loading; the message is the reason shown in <c>plugins list</c>.</summary>
internal sealed class PluginLoadException(string message) : Exception(message);

/// <summary>The plugin a job needs cannot be used (exit code 3).</summary>
internal sealed class PluginUnavailableException(string message) : Exception(message);
