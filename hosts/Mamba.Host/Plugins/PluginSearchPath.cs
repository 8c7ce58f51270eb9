namespace Mamba.Host.Plugins;

/// <summary>Where plugins are looked for, in precedence order (earlier folders shadow later ones).</summary>
internal sealed class PluginSearchOptions
{
    /// <summary>Folders named with <c>--plugins</c>.</summary>
    public IList<string> Directories { get; } = [];

    /// <summary>
    /// The folders searched: <c>--plugins</c>, then <c>MAMBA_PLUGIN_PATH</c> (path-separated), then the host's own
    /// <c>plugins/</c>. Never the current directory: plugins are full-trust code, so only folders a user named load.
    /// </summary>
    public IReadOnlyList<string> Resolve()
    {
        var folders = new List<string>(Directories);
        string? environment = Environment.GetEnvironmentVariable("MAMBA_PLUGIN_PATH");
        if (!string.IsNullOrWhiteSpace(environment))
            folders.AddRange(environment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        folders.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
        return folders.Select(f => Path.GetFullPath(f)).Distinct(StringComparer.Ordinal).ToList();
    }
}
