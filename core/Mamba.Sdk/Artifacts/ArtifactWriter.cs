using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mamba.Core.Checkpoints;
using Mamba.Sdk.Data;
using Microsoft.Extensions.Logging;

namespace Mamba.Sdk.Artifacts;

/// <summary>
/// Writes a run's artifacts into its folder, each through the core's <see cref="AtomicFile"/> (a hidden temporary
/// file and a rename), so a reader, or a run killed mid-write, never finds a half-written artifact under its name.
/// </summary>
public sealed partial class ArtifactWriter
{
    // What the number converters write for NaN and ±∞ before the tree is walked; no real string starts with U+FFFF.
    private const string NonFiniteMark = "\uFFFFnon-finite:";

    private readonly List<string> written = [];
    private readonly ILogger? logger;

    /// <summary>Writes into <paramref name="directory"/> (created if missing).</summary>
    public ArtifactWriter(string directory)
        : this(directory, null)
    {
    }

    /// <summary>Writes into <paramref name="directory"/> (created if missing); <paramref name="logger"/> hears of values written as null.</summary>
    public ArtifactWriter(string directory, ILogger? logger)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
        this.logger = logger;
    }

    /// <summary>The run folder.</summary>
    public string Directory { get; }

    /// <summary>Relative names of the artifacts written so far, in order.</summary>
    public IReadOnlyList<string> Written
    {
        get { lock (written) return [.. written]; }
    }

    /// <summary>JSON settings for artifacts: camelCase, indented.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static JsonSerializerOptions MarkingJson { get; } = new(Json)
    {
        Converters = { new NonFiniteMarker<double>(d => d, double.IsFinite), new NonFiniteMarker<float>(f => f, float.IsFinite) },
    };

    /// <summary>The full path an artifact named <paramref name="name"/> has.</summary>
    public string PathOf(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string path = Path.GetFullPath(Path.Combine(Directory, name));
        if (!path.StartsWith(Directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Artifact '{name}' would land outside the run folder.", nameof(name));
        return path;
    }

    /// <summary>Writes what <paramref name="write"/> puts in the stream to artifact <paramref name="name"/>, atomically.</summary>
    public async Task WriteAsync(string name, Func<Stream, CancellationToken, Task> write, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string path = PathOf(name);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await AtomicFile.WriteAsync(path, write, cancellation).ConfigureAwait(false);
        lock (written)
        {
            written.Remove(name);
            written.Add(name);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as indented camelCase JSON. JSON has no NaN or infinity: such numbers (a
    /// diverged metric, an empty average) are written as <c>null</c> and each one is logged with its key path, so a
    /// run's other results are never lost to one of them.
    /// </summary>
    public Task WriteJsonAsync<T>(string name, T value, CancellationToken cancellation = default)
    {
        var tree = value is JsonNode node ? node.DeepClone() : JsonSerializer.SerializeToNode(value, MarkingJson);
        var replaced = new List<string>();
        if (IsNonFinite(tree, "$", replaced)) tree = null;
        if (logger is not null)
            foreach (string place in replaced) LogNonFinite(logger, name, place);
        return WriteAsync(name, (stream, ct) => JsonSerializer.SerializeAsync(stream, tree, Json, ct), cancellation);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8.</summary>
    public Task WriteTextAsync(string name, string text, CancellationToken cancellation = default) =>
        WriteAsync(name, async (stream, ct) =>
        {
            await using var writer = new StreamWriter(stream, leaveOpen: true);
            await writer.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
        }, cancellation);

    /// <summary>Writes a results page as <c>results.md</c> (another name: <see cref="WriteTextAsync"/> of the page's text).</summary>
    public Task WriteResultsAsync(ResultsPage page, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(page);
        return WriteTextAsync("results.md", page.ToString(), cancellation);
    }

    /// <summary>Writes a table as Parquet, in row groups of at most <paramref name="rowGroupSize"/> rows.</summary>
    public Task WriteParquetAsync(string name, IReadOnlyList<ParquetColumn> columns, int rowGroupSize = 1 << 20, CancellationToken cancellation = default) =>
        WriteAsync(name, (stream, ct) => ParquetTable.WriteAsync(stream, columns, rowGroupSize, ct), cancellation);

    /// <summary>Draws <paramref name="chart"/> to a PNG.</summary>
    public Task WriteChartAsync(string name, LineChart chart, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(chart);
        byte[] png = chart.RenderPng();
        return WriteAsync(name, (stream, ct) => stream.WriteAsync(png, ct).AsTask(), cancellation);
    }

    /// <summary>
    /// Records an artifact the caller wrote itself, atomically, into the folder (a model checkpoint written by the
    /// core's <c>ModelCheckpoint</c>), so it appears in the run summary.
    /// </summary>
    public void Record(string name)
    {
        if (!File.Exists(PathOf(name))) throw new FileNotFoundException($"Artifact '{name}' was not written.", PathOf(name));
        lock (written) if (!written.Contains(name)) written.Add(name);
    }

    /// <summary>
    /// True when <paramref name="node"/> is a non-finite number (recorded in <paramref name="replaced"/> with its path),
    /// for the caller to replace by null; otherwise such numbers inside it are replaced and false is returned.
    /// </summary>
    private static bool IsNonFinite(JsonNode? node, string path, List<string> replaced)
    {
        switch (node)
        {
            case JsonValue value when NonFinite(value) is { } text:
                replaced.Add($"{path} = {text}");
                return true;
            case JsonObject obj:
                foreach (string key in obj.Select(p => p.Key).ToList())
                    if (IsNonFinite(obj[key], $"{path}.{key}", replaced)) obj[key] = null;
                return false;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                    if (IsNonFinite(array[i], $"{path}[{i}]", replaced)) array[i] = null;
                return false;
            default:
                return false;
        }
    }

    private static string? NonFinite(JsonValue value)
    {
        if (value.TryGetValue(out double d)) return double.IsFinite(d) ? null : d.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (value.TryGetValue(out float f)) return float.IsFinite(f) ? null : f.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (value.TryGetValue(out string? s) && s.StartsWith(NonFiniteMark, StringComparison.Ordinal)) return s[NonFiniteMark.Length..];
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Artifact}: {Place} is not a finite number; written as null")]
    private static partial void LogNonFinite(ILogger logger, string artifact, string place);

    /// <summary>Writes finite numbers as numbers and the rest as a marked string that <see cref="IsNonFinite"/> finds.</summary>
    private sealed class NonFiniteMarker<TNumber>(Func<TNumber, double> widen, Func<TNumber, bool> isFinite) : JsonConverter<TNumber>
    {
        public override TNumber Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("artifacts are written, not read, with these options");

        public override void Write(Utf8JsonWriter writer, TNumber value, JsonSerializerOptions options)
        {
            double number = widen(value);
            if (isFinite(value)) writer.WriteNumberValue(number);
            else writer.WriteStringValue(NonFiniteMark + number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
