using System.Text.Json;
using System.Text.RegularExpressions;
using NuGet.Versioning;

namespace Mamba.Host.Plugins;

/// <summary>A plugin's <c>plugin.json</c>, read and checked before any of its code loads.</summary>
/// <param name="Id">Lower-case id, the folder name above the version folder.</param>
/// <param name="Version">The plugin's own SemVer version.</param>
/// <param name="Sdk">The SDK versions it works with.</param>
/// <param name="EntryAssembly">The assembly in the plugin folder whose exports the host reads.</param>
/// <param name="Description">One line for <c>plugins list</c>.</param>
/// <param name="Extends">
/// Plugin ids whose jobs this plugin serves or draws on (readers, metrics, models); <c>*</c> for every job (a scan
/// kernel). A job composes its own plugin, the plugins it lists, and the plugins that list it.
/// </param>
internal sealed partial record PluginManifest(string Id, NuGetVersion Version, VersionRange Sdk, string EntryAssembly, string Description, IReadOnlyList<string> Extends)
{
    /// <summary>In <see cref="Extends"/>: every plugin's jobs.</summary>
    public const string EveryPlugin = "*";

    public const string FileName = "plugin.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="PluginManifestException">Unreadable, malformed or incomplete.</exception>
    public static PluginManifest Read(string path)
    {
        ManifestFile file;
        try
        {
            file = JsonSerializer.Deserialize<ManifestFile>(File.ReadAllBytes(path), Json)
                ?? throw new PluginManifestException(path, "the file is empty (null)");
        }
        catch (JsonException e)
        {
            throw new PluginManifestException(path, $"not valid JSON for a manifest: {e.Message}");
        }
        catch (IOException e)
        {
            throw new PluginManifestException(path, e.Message);
        }

        if (string.IsNullOrWhiteSpace(file.Id) || !IdPattern().IsMatch(file.Id))
            throw new PluginManifestException(path, $"'id' must be lower-case letters, digits and dashes, starting with a letter (got '{file.Id}')");
        if (!NuGetVersion.TryParse(file.Version, out var version))
            throw new PluginManifestException(path, $"'version' must be a SemVer version such as 1.2.0 (got '{file.Version}')");
        if (!VersionRange.TryParse(file.Sdk ?? "", out var sdk))
            throw new PluginManifestException(path, $"'sdk' must be a NuGet version range such as [1.0,2.0) (got '{file.Sdk}')");
        if (string.IsNullOrWhiteSpace(file.EntryAssembly) || file.EntryAssembly.IndexOfAny(['/', '\\']) >= 0 || !file.EntryAssembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            throw new PluginManifestException(path, $"'entryAssembly' must be a .dll file name in the plugin folder (got '{file.EntryAssembly}')");
        var extends = file.Extends ?? [];
        if (extends.FirstOrDefault(e => e != EveryPlugin && (e is null || !IdPattern().IsMatch(e))) is { } badExtends)
            throw new PluginManifestException(path, $"'extends' lists plugin ids or \"*\" (got '{badExtends}')");
        return new PluginManifest(file.Id, version, sdk, file.EntryAssembly, file.Description ?? "", extends);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]*$")]
    private static partial Regex IdPattern();

    private sealed record ManifestFile(string? Id, string? Version, string? Sdk, string? EntryAssembly, string? Description, string[]? Extends);

    /// <summary>Whether a job of another plugin, <paramref name="primary"/>, composes this plugin's exports.</summary>
    public bool IsComposedWith(PluginManifest primary) =>
        Extends.Contains(primary.Id) || Extends.Contains(EveryPlugin) || primary.Extends.Contains(Id);
}

/// <summary>A manifest that cannot be used; the plugin is listed as broken.</summary>
internal sealed class PluginManifestException(string path, string reason) : Exception($"{path}: {reason}")
{
    public string Reason { get; } = reason;
}
