using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Mamba.Core.Checkpoints;

/// <summary>
/// A checkpoint made of several files (weights, optimizer state, generator state, loop state) that is published
/// whole or not at all. A set is written into a hidden folder, closed by a manifest of every file's size and SHA-256,
/// and published by renaming the folder to <c>set-NNNNNNNN</c>; older sets are removed afterwards. A process killed
/// at any point leaves either the previous set or the new one, never a mix, and a set whose files no longer match its
/// manifest (edited, truncated, bit rot) is refused by name rather than resumed.
/// </summary>
/// <remarks>
/// One writer per checkpoint folder at a time: the host holds the run folder's lock for the run's lifetime.
/// </remarks>
public static class CheckpointSet
{
    /// <summary>The manifest inside every published set.</summary>
    public const string ManifestFile = "manifest.json";

    private const string SetPrefix = "set-";

    /// <summary>
    /// Publishes a new set in <paramref name="directory"/>: <paramref name="write"/> fills the folder it is given
    /// (not yet visible), then the manifest is written and the folder renamed into place. Returns the published folder.
    /// </summary>
    public static string Publish(string directory, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        Directory.CreateDirectory(directory);
        RemoveUnpublished(directory);
        var published = PublishedSets(directory);
        long sequence = published.Count == 0 ? 1 : published[0].Sequence + 1;
        string staging = Path.Combine(directory, $"{AtomicFile.TempPrefix}{SetPrefix}{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            var manifest = Directory.EnumerateFiles(staging, "*", SearchOption.AllDirectories)
                .Select(file => Path.GetRelativePath(staging, file))
                .Where(name => !Path.GetFileName(name).StartsWith(AtomicFile.TempPrefix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToDictionary(name => name, name => Describe(Path.Combine(staging, name)), StringComparer.Ordinal);
            AtomicFile.WriteAllText(Path.Combine(staging, ManifestFile), JsonSerializer.Serialize(manifest, ModelCheckpoint.ConfigJson));
            string target = Path.Combine(directory, SetPrefix + sequence.ToString("D8", CultureInfo.InvariantCulture));
            Directory.Move(staging, target);
            foreach (var (_, older) in published) Directory.Delete(older, recursive: true);
            return target;
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// The newest published set in <paramref name="directory"/>, its files checked against its manifest; null when
    /// the folder holds none.
    /// </summary>
    /// <exception cref="CheckpointMismatchException">The set's files do not match its manifest; the message names the file.</exception>
    public static string? Latest(string directory)
    {
        if (!Directory.Exists(directory)) return null;
        var published = PublishedSets(directory);
        if (published.Count == 0) return null;
        string set = published[0].Path;
        Verify(set);
        return set;
    }

    /// <summary>Checks every file the manifest of <paramref name="set"/> lists: present, same size, same SHA-256.</summary>
    /// <exception cref="CheckpointMismatchException">A file is missing or differs; the message names it.</exception>
    public static void Verify(string set)
    {
        string manifestPath = Path.Combine(set, ManifestFile);
        Dictionary<string, FileDigest> manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Dictionary<string, FileDigest>>(File.ReadAllBytes(manifestPath), ModelCheckpoint.ConfigJson)
                ?? throw new CheckpointMismatchException($"{manifestPath}: empty manifest.");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new CheckpointMismatchException($"{manifestPath}: unreadable checkpoint manifest ({e.Message}); the checkpoint cannot be trusted.");
        }
        foreach (var (name, expected) in manifest)
        {
            string path = Path.GetFullPath(Path.Combine(set, name));
            if (!path.StartsWith(Path.GetFullPath(set) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new CheckpointMismatchException($"{manifestPath}: lists '{name}', which is outside the checkpoint.");
            if (!File.Exists(path))
                throw new CheckpointMismatchException($"{path}: missing from the checkpoint its manifest describes; the checkpoint cannot be trusted.");
            var actual = Describe(path);
            if (actual != expected)
                throw new CheckpointMismatchException(
                    $"{path}: {actual.Bytes} bytes with SHA-256 {actual.Sha256}, but the checkpoint manifest records {expected.Bytes} bytes with {expected.Sha256}; the checkpoint cannot be trusted.");
        }
    }

    private static FileDigest Describe(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return new FileDigest(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    private static List<(long Sequence, string Path)> PublishedSets(string directory) =>
        [.. Directory.EnumerateDirectories(directory, SetPrefix + "*")
            .Select(path => (Parsed: long.TryParse(Path.GetFileName(path)[SetPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : -1, path))
            .Where(set => set.Parsed >= 0)
            .Select(set => (set.Parsed, set.path))
            .OrderByDescending(set => set.Parsed)];

    private static void RemoveUnpublished(string directory)
    {
        foreach (string staging in Directory.EnumerateDirectories(directory, AtomicFile.TempPrefix + SetPrefix + "*"))
            Directory.Delete(staging, recursive: true);
    }

    private sealed record FileDigest(long Bytes, string Sha256);
}
