using NuGet.Versioning;

namespace Mamba.Host.Plugins;

/// <summary>
/// How a job names a plugin: <c>forecasting</c> (highest compatible), <c>forecasting@1.2</c> (highest 1.2.x),
/// <c>forecasting@1.2.3</c> (exactly), or <c>forecasting@[1.0,2.0)</c> (a NuGet range).
/// </summary>
internal sealed record PluginReference(string Id, VersionRange Range, string Text)
{
    public static PluginReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0) return new PluginReference(text.Trim(), VersionRange.All, text);
        string id = text[..at].Trim(), version = text[(at + 1)..].Trim();
        if (id.Length == 0) throw new FormatException($"'{text}' names no plugin before '@'.");
        return new PluginReference(id, ParseRange(version, text), text);
    }

    private static VersionRange ParseRange(string version, string text)
    {
        if (version.StartsWith('[') || version.StartsWith('('))
            return VersionRange.TryParse(version, out var range) ? range
                : throw new FormatException($"'{text}': '{version}' is not a NuGet version range such as [1.0,2.0).");
        // A version with fewer than three parts names every version it prefixes: 1.2 is [1.2.0, 1.3.0), 1 is [1.0.0, 2.0.0).
        var parts = version.Split('.');
        if (parts.Length < 3 && parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            int major = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            return parts.Length == 1
                ? new VersionRange(new NuGetVersion(major, 0, 0), true, new NuGetVersion(major + 1, 0, 0), false)
                : new VersionRange(new NuGetVersion(major, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), 0), true,
                    new NuGetVersion(major, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) + 1, 0), false);
        }
        return NuGetVersion.TryParse(version, out var exact) ? new VersionRange(exact, true, exact, true)
            : throw new FormatException($"'{text}': '{version}' is neither a version (1.2, 1.2.3) nor a range ([1.0,2.0)).");
    }

    public bool Matches(PluginManifest manifest) =>
        string.Equals(manifest.Id, Id, StringComparison.Ordinal) && Range.Satisfies(manifest.Version);

    public override string ToString() => Text;
}
