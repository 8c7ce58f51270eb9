using System.Text.Json;
using Mamba.Core.Checkpoints;
using Mamba.Sdk.Data;

namespace Mamba.Sdk.Artifacts;

/// <summary>
/// Writes a run's artifacts into its folder, each through the core's <see cref="AtomicFile"/> (a hidden temporary
/// file and a rename), so a reader, or a run killed mid-write, never finds a half-written artifact under its name.
/// </summary>
public sealed class ArtifactWriter
{
    private readonly List<string> written = [];

    /// <summary>Writes into <paramref name="directory"/> (created if missing).</summary>
    public ArtifactWriter(string directory)
    {
        Directory = System.IO.Directory.CreateDirectory(directory).FullName;
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

    /// <summary>Writes <paramref name="value"/> as indented camelCase JSON.</summary>
    public Task WriteJsonAsync<T>(string name, T value, CancellationToken cancellation = default) =>
        WriteAsync(name, (stream, ct) => JsonSerializer.SerializeAsync(stream, value, Json, ct), cancellation);

    /// <summary>Writes <paramref name="text"/> as UTF-8.</summary>
    public Task WriteTextAsync(string name, string text, CancellationToken cancellation = default) =>
        WriteAsync(name, async (stream, ct) =>
        {
            await using var writer = new StreamWriter(stream, leaveOpen: true);
            await writer.WriteAsync(text.AsMemory(), ct).ConfigureAwait(false);
        }, cancellation);

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
}
