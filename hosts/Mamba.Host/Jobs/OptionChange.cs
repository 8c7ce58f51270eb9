using System.Text.Json.Nodes;

namespace Mamba.Host.Jobs;

/// <summary>One key whose value differs between a run's recorded job and the job that would resume it.</summary>
/// <param name="Key">The key path, e.g. <c>options.training.learningRate</c>.</param>
/// <param name="Was">The recorded value as JSON (<c>absent</c> when the key was not there).</param>
/// <param name="Now">The new value as JSON (<c>absent</c> when the key is gone).</param>
internal sealed record OptionChange(string Key, string Was, string Now)
{
    private const string Absent = "absent";

    /// <summary>
    /// The keys of the resolved jobs <paramref name="recorded"/> and <paramref name="now"/> that differ: the plugin
    /// (pinned version), the task and every option. The name is not compared: it chose the folder.
    /// </summary>
    public static List<OptionChange> Between(JsonObject recorded, JsonObject now)
    {
        var before = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var after = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in new[] { "plugin", "task", "options" })
        {
            Flatten(recorded[key], key, before);
            Flatten(now[key], key, after);
        }
        return [.. before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Select(key => new OptionChange(key, before.GetValueOrDefault(key, Absent), after.GetValueOrDefault(key, Absent)))
            .Where(change => change.Was != change.Now)];
    }

    private static void Flatten(JsonNode? node, string path, SortedDictionary<string, string> into)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                foreach (var (key, value) in obj) Flatten(value, $"{path}.{key}", into);
                break;
            case JsonArray array when array.Count > 0:
                for (int i = 0; i < array.Count; i++) Flatten(array[i], $"{path}[{i}]", into);
                break;
            default:
                into[path] = node?.ToJsonString() ?? "null";
                break;
        }
    }
}
