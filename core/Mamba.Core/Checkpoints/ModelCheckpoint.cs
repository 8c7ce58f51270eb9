using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>A checkpoint that does not fit the model: the message names the file and the tensor.</summary>
public sealed class CheckpointMismatchException(string message) : Exception(message);

/// <summary>
/// Model weights as safetensors under the module's state-dict names (mamba_ssm's, for the core's modules), with a JSON
/// config beside them. Loading checks every tensor's presence and shape before copying any.
/// </summary>
public static class ModelCheckpoint
{
    /// <summary>JSON settings for configs: indented, camel-case, enums as strings.</summary>
    public static JsonSerializerOptions ConfigJson { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    /// <summary>
    /// The module's parameters and persistent buffers, each once, under its registered (mamba_ssm) names. TorchSharp's
    /// <c>state_dict</c> lists a submodule that a property holds a second time under the property's backing field
    /// (<c>register_module</c> runs the child's reflective registration), which would store such tensors several times.
    /// </summary>
    public static Dictionary<string, Tensor> Tensors(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var registered = module.named_parameters().Select(p => p.name).Concat(module.named_buffers().Select(b => b.name)).ToHashSet(StringComparer.Ordinal);
        return module.state_dict().Where(entry => registered.Contains(entry.Key)).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>Writes <c>model.safetensors</c> and <c>config.json</c> into <paramref name="directory"/>, each atomically.</summary>
    public static void Save<TConfig>(string directory, nn.Module module, TConfig config, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Directory.CreateDirectory(directory);
        Safetensors.Save(Path.Combine(directory, "model.safetensors"), Tensors(module), metadata);
        AtomicFile.WriteAllText(Path.Combine(directory, "config.json"), JsonSerializer.Serialize(config, ConfigJson));
    }

    /// <summary>Reads the config saved by <see cref="Save{TConfig}"/>.</summary>
    public static TConfig LoadConfig<TConfig>(string directory)
    {
        string path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no model config beside the weights.", path);
        try
        {
            return JsonSerializer.Deserialize<TConfig>(File.ReadAllText(path), ConfigJson)
                ?? throw new CheckpointMismatchException($"{path}: the config is empty.");
        }
        catch (JsonException e)
        {
            throw new CheckpointMismatchException($"{path}: not a valid model config: {e.Message}");
        }
    }

    /// <summary>
    /// Loads weights into <paramref name="module"/> from a safetensors file. Every parameter and buffer must be present
    /// with its shape; tensors the module lacks are errors except those named in <paramref name="ignore"/> (such as a
    /// tied <c>lm_head.weight</c>). Nothing is copied unless everything fits and every floating value is finite. Values
    /// are cast to each parameter's dtype.
    /// </summary>
    public static void LoadWeights(nn.Module module, string path, IReadOnlyCollection<string>? ignore = null)
    {
        using var content = Safetensors.Load(path);
        var expected = Tensors(module);
        foreach (var (name, target) in expected)
        {
            if (!content.Tensors.TryGetValue(name, out var source))
                throw new CheckpointMismatchException($"{path}: tensor '{name}' is missing (the model expects shape [{string.Join(", ", target.shape)}]).");
            if (!source.shape.SequenceEqual(target.shape))
                throw new CheckpointMismatchException(
                    $"{path}: tensor '{name}' has shape [{string.Join(", ", source.shape)}]; the model expects [{string.Join(", ", target.shape)}].");
            if (!AllFinite(source))
                throw new CheckpointMismatchException($"{path}: tensor '{name}' holds NaN or infinite values; the weights are unusable.");
        }
        var unexpected = content.Tensors.Keys.Where(k => !expected.ContainsKey(k) && !(ignore?.Contains(k) ?? false)).Order().ToList();
        if (unexpected.Count > 0)
            throw new CheckpointMismatchException($"{path}: tensor(s) the model does not have: {string.Join(", ", unexpected)}.");

        using var noGrad = no_grad();
        foreach (var (name, target) in expected)
            target.copy_(content.Tensors[name].to(target.dtype, target.device));
    }

    private static bool AllFinite(Tensor tensor)
    {
        if (!tensor.is_floating_point()) return true;
        using var scope = NewDisposeScope();
        return isfinite(tensor).all().item<bool>();
    }
}

/// <summary>
/// Writes files through a hidden temporary file beside the target and a rename, so readers (or a process killed
/// mid-write) never see half a file under the target's name.
/// </summary>
public static class AtomicFile
{
    /// <summary>The prefix of in-progress files; a leftover one marks an interrupted write and can be deleted.</summary>
    public const string TempPrefix = ".partial-";

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        writer.Write(text);
    });

    /// <summary>Writes what <paramref name="write"/> puts in the stream to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temp = TempPathFor(path);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes what <paramref name="write"/> puts in the stream to <paramref name="path"/> atomically, asynchronously.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string temp = TempPathFor(path);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(file, cancellation).ConfigureAwait(false);
                await file.FlushAsync(cancellation).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// The name of the file an in-progress write was for (<c>.partial-metrics.json-&lt;id&gt;</c> → <c>metrics.json</c>);
    /// null when <paramref name="partialName"/> is not such a temporary file's name.
    /// </summary>
    public static string? TargetOf(string partialName)
    {
        ArgumentNullException.ThrowIfNull(partialName);
        string name = Path.GetFileName(partialName);
        int suffix = name.Length - TempIdLength - 1;
        if (!name.StartsWith(TempPrefix, StringComparison.Ordinal) || suffix <= TempPrefix.Length || name[suffix] != '-') return null;
        return name[TempPrefix.Length..suffix];
    }

    // A Guid in "N" format: 32 hexadecimal digits.
    private const int TempIdLength = 32;

    private static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $"{TempPrefix}{Path.GetFileName(path)}-{Guid.NewGuid():N}");
}
