using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>
/// A job file: <c>{"name"?, "plugin", "task", "options"}</c>, with <c>--set</c> overrides applied. Relative paths in
/// the options resolve against the file's folder.
/// </summary>
internal sealed record JobFile(string Path, string Name, string Plugin, string Task, JsonObject Options)
{
    private static readonly string[] TopLevelKeys = ["name", "plugin", "task", "options"];

    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Reads <paramref name="path"/> and applies <paramref name="overrides"/> (<c>key.path=value</c>).</summary>
    /// <exception cref="JobOptionsException">The file or an override is malformed; the key path says where.</exception>
    public static JobFile Load(string path, IEnumerable<string> overrides)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new JobOptionsException("job", $"no job file at {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new JobOptionsException("job", $"{path} is not valid JSON: {e.Message}");
        }
        if (root is not JsonObject job) throw new JobOptionsException("job", $"{path} must hold a JSON object");

        foreach (string assignment in overrides) Apply(job, assignment);

        foreach (var (key, _) in job)
            if (!TopLevelKeys.Contains(key, StringComparer.Ordinal))
                throw new JobOptionsException(key, $"unknown key in {path}; a job has {string.Join(", ", TopLevelKeys)}");
        string plugin = RequiredString(job, "plugin", path);
        string task = RequiredString(job, "task", path);
        string name = job["name"] is null ? System.IO.Path.GetFileNameWithoutExtension(path) : RequiredString(job, "name", path);
        if (name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
            throw new JobOptionsException("name", $"'{name}' cannot name a folder");
        var options = job["options"] switch
        {
            null => [],
            JsonObject o => o,
            var other => throw new JobOptionsException("options", $"expected an object, got {other.GetValueKind()}"),
        };
        return new JobFile(path, name, plugin, task, options);
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
