using System.CommandLine;

namespace Mamba.Host.Commands;

/// <summary>Options every command takes.</summary>
internal static class GlobalOptions
{
    public static Option<string[]> Plugins { get; } = new("--plugins")
    {
        Description = "A plugin folder to search first (repeatable); then MAMBA_PLUGIN_PATH and the host's plugins/ (never the current directory).",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Debug logging (plugin loading, kernel choice).",
        Recursive = true,
    };
}
