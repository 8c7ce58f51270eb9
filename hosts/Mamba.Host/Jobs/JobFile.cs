using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>
/// A job file: <c>{"name"?, "plugin", "task", "options"}</c>, with <c>--set</c> overrides applied. Relative paths in
/// the options resolve against the file's folder.
/// </summary>
internal sealed record JobFile(string Path, string Name, string Plugin, string Task, JsonObject Options, string Hash)
{
    /// <summary>The largest job file read; a job is a small JSON object, and a device or a huge file is refused unread.</summary>
    public const int MaxBytes = 1 << 20;

    private static readonly string[] TopLevelKeys = ["name", "plugin", "task", "options"];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>
    /// Reads <paramref name="path"/> and applies <paramref name="overrides"/> (<c>key.path=value</c>). A job without a
    /// <c>name</c> is named <paramref name="defaultName"/>, else after its file.
    /// </summary>
    /// <exception cref="JobOptionsException">The file or an override is malformed; the key path says where.</exception>
    public static JobFile Load(string path, IEnumerable<string> overrides, string? defaultName = null)
    {
        path = System.IO.Path.GetFullPath(path);
        byte[] content = ReadBounded(path);
        var overrideList = overrides.ToList();
        JsonNode? root;
        try
        {
            // Strict UTF-8 first: the JSON reader accepts invalid bytes inside strings and only fails on reading them.
            StrictUtf8.GetCharCount(content);
            root = JsonNode.Parse(content, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
        }
        catch (DecoderFallbackException e)
        {
            throw new JobOptionsException("job", $"{path} is not UTF-8 text: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new JobOptionsException("job", $"{path} is not valid JSON: {e.Message}");
        }
        if (root is not JsonObject job) throw new JobOptionsException("job", $"{path} must hold a JSON object");

        foreach (string assignment in overrideList) Apply(job, assignment);

        foreach (var (key, _) in job)
            if (!TopLevelKeys.Contains(key, StringComparer.Ordinal))
                throw new JobOptionsException(key, $"unknown key in {path}; a job has {string.Join(", ", TopLevelKeys)}");
        string plugin = RequiredString(job, "plugin", path);
        string task = RequiredString(job, "task", path);
        string name = job["name"] is null ? defaultName ?? System.IO.Path.GetFileNameWithoutExtension(path) : RequiredString(job, "name", path);
        if (!RunFolder.IsSafeSegment(name))
            throw new JobOptionsException("name", $"'{name}' cannot name a run folder: a job name is {RunFolder.SafeSegmentRule} (set \"name\" in {path})");
        var options = job["options"] switch
        {
            null => [],
            JsonObject o => o,
            var other => throw new JobOptionsException("options", $"expected an object, got {other.GetValueKind()}"),
        };
        return new JobFile(path, name, plugin, task, options, HashOf(content, overrideList));
    }

    /// <summary>The file's bytes, refusing a missing file, a folder, or more than <see cref="MaxBytes"/> (read no further).</summary>
    private static byte[] ReadBounded(string path)
    {
        if (System.IO.Directory.Exists(path)) throw new JobOptionsException("job", $"{path} is a folder, not a job file");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            var buffer = new byte[MaxBytes + 1];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read > MaxBytes) throw new JobOptionsException("job", $"{path} is larger than {MaxBytes / 1024} KiB; a job file is a small JSON object");
            return buffer[..read];
        }
        catch (FileNotFoundException)
        {
            throw new JobOptionsException("job", $"no job file at {path}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JobOptionsException("job", $"{path} cannot be read: {e.Message}");
        }
    }

    /// <summary>SHA-256 of the job as submitted (file bytes and overrides): the job's identity for the worker and resume.</summary>
    private static string HashOf(byte[] content, List<string> overrides)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(content);
        foreach (string assignment in overrides)
        {
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(assignment));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The job as it will run: <paramref name="plugin"/> pinned (<c>id@version</c>), options after binding (defaults filled in).</summary>
    public JsonObject Resolved(string plugin, JsonNode? boundOptions) => new()
    {
        ["name"] = Name,
        ["plugin"] = plugin,
        ["task"] = Task,
        ["options"] = boundOptions,
    };

    private static string RequiredString(JsonObject job, string key, string path) => job[key] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetValue<string>()) => v.GetValue<string>(),
        null => throw new JobOptionsException(key, $"missing in {path}"),
        var other => throw new JobOptionsException(key, $"expected a non-empty string, got {other.ToJsonString()}"),
    };

    /// <summary>
    /// Applies <c>key.path=value</c>. Paths start at the job's top level (<c>options.training.epochs</c>); paths that
    /// do not name a top-level key are taken under <c>options</c>. Values parse as JSON, else as a string.
    /// </summary>
    private static void Apply(JsonObject job, string assignment)
    {
        int equals = assignment.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) throw new JobOptionsException("--set", $"expected key.path=value, got '{assignment}'");
        string keyPath = assignment[..equals].Trim();
        string text = assignment[(equals + 1)..];
        var segments = Segments(keyPath);
        if (!TopLevelKeys.Contains(segments[0]))
        {
            segments.Insert(0, "options");
            keyPath = "options." + keyPath;
        }

        JsonNode? value;
        try
        {
            value = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            value = JsonValue.Create(text);
        }

        JsonNode current = job;
        for (int i = 0; i < segments.Count; i++)
        {
            string segment = segments[i];
            bool last = i == segments.Count - 1;
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && current is JsonArray array)
            {
                if (index >= array.Count) throw new JobOptionsException(keyPath, $"index {index} is past the end of a list of {array.Count}");
                if (last) array[index] = value;
                else current = array[index] ?? throw new JobOptionsException(keyPath, $"item {index} is null");
            }
            else if (current is JsonObject obj)
            {
                if (last) obj[segment] = value;
                else current = obj[segment] ??= new JsonObject();
            }
            else throw new JobOptionsException(keyPath, $"'{segment}' goes inside a {current.GetValueKind()}, which has no keys");
        }
    }

    private static List<string> Segments(string keyPath)
    {
        var segments = keyPath.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal)
            .Split('.', StringSplitOptions.TrimEntries).ToList();
        if (segments.Any(s => s.Length == 0)) throw new JobOptionsException("--set", $"'{keyPath}' has an empty segment");
        return segments;
    }
}
