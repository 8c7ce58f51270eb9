using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Checkpoints;

/// <summary>A safetensors file or stream that cannot be read: the message names the file and, where it applies, the tensor.</summary>
public sealed class SafetensorsFormatException(string message) : Exception(message);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range, then the little-endian data. The format of Hugging Face checkpoints and of
/// PyTorch-trained mamba_ssm weights.
/// </summary>
public static class Safetensors
{
    private const long MaxHeaderBytes = 100L << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Dictionary<ScalarType, (string Name, int Size)> Types = new()
    {
        [ScalarType.Float32] = ("F32", 4),
        [ScalarType.Float64] = ("F64", 8),
        [ScalarType.Float16] = ("F16", 2),
        [ScalarType.BFloat16] = ("BF16", 2),
        [ScalarType.Int64] = ("I64", 8),
        [ScalarType.Int32] = ("I32", 4),
        [ScalarType.Int16] = ("I16", 2),
        [ScalarType.Int8] = ("I8", 1),
        [ScalarType.Byte] = ("U8", 1),
        [ScalarType.Bool] = ("BOOL", 1),
    };

    /// <summary>Writes <paramref name="tensors"/> (on any device, any layout) and optional string metadata to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            if (!Types.TryGetValue(tensor.dtype, out var type))
                throw new ArgumentException($"{name}: dtype {tensor.dtype} has no safetensors equivalent.", nameof(tensors));
            long bytes = tensor.numel() * type.Size;
            header[name] = new JsonObject
            {
                ["dtype"] = type.Name,
                ["shape"] = new JsonArray([.. tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d))]),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }

        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padding = (8 - json.Length % 8) % 8;                       // keeps the data 8-byte aligned
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        stream.Write(length);
        stream.Write(json);
        for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in ordered)
        {
            using var scope = NewDisposeScope();
            tensor.detach().cpu().contiguous().WriteBytesToStream(stream, 1 << 20);
        }
    }

    /// <summary>Writes a file atomically: to a temporary file beside it, then renamed over <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        AtomicFile.Write(path, stream => Write(stream, tensors, metadata));

    /// <summary>Reads a file; see <see cref="Read(Stream, string)"/>.</summary>
    public static SafetensorsContent Load(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Read(file, path);
    }

    /// <summary>
    /// Reads every tensor (CPU) and the metadata. <paramref name="source"/> names the file in errors: a truncated
    /// file, a header that is not JSON, an unknown dtype, or a byte range that does not fit the shape or the file.
    /// </summary>
    public static SafetensorsContent Read(Stream stream, string source)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
            throw new SafetensorsFormatException($"{source}: truncated: fewer than 8 bytes, so no header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes || (stream.CanSeek && (long)headerLength > stream.Length - 8))
            throw new SafetensorsFormatException($"{source}: corrupt: the header claims {headerLength} bytes, more than the file holds.");
        byte[] json = new byte[headerLength];
        if (stream.ReadAtLeast(json, json.Length, throwOnEndOfStream: false) < json.Length)
            throw new SafetensorsFormatException($"{source}: truncated inside the header.");

        JsonObject header;
        try
        {
            // Strict UTF-8 first: the JSON reader accepts invalid bytes inside strings and only fails on reading them.
            StrictUtf8.GetCharCount(json);
            header = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new SafetensorsFormatException($"{source}: the header is not a JSON object.");
        }
        catch (DecoderFallbackException e)
        {
            throw new SafetensorsFormatException($"{source}: the header is not UTF-8 text ({e.Message}).");
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException($"{source}: the header is not valid JSON ({e.Message}).");
        }

        var metadata = new Dictionary<string, string>();
        var entries = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is not JsonObject values)
                    throw new SafetensorsFormatException($"{source}: __metadata__ must be an object of strings, got {node?.GetValueKind().ToString() ?? "null"}.");
                foreach (var (key, value) in values)
                {
                    if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String)
                        throw new SafetensorsFormatException($"{source}: __metadata__ '{key}' must be a string, got {value?.ToJsonString() ?? "null"}.");
                    metadata[key] = text.GetValue<string>();
                }
                continue;
            }
            entries.Add(ParseEntry(source, name, node));
        }

        long dataLength = entries.Count == 0 ? 0 : entries.Max(e => e.End);
        if (dataLength > Array.MaxLength)
            throw new SafetensorsFormatException($"{source}: the header describes {dataLength} data bytes; this reader takes at most {Array.MaxLength}.");
        if (stream.CanSeek && dataLength > stream.Length - 8 - (long)headerLength)
            throw new SafetensorsFormatException(
                $"{source}: truncated: the header describes {dataLength} data bytes but the file holds {stream.Length - 8 - (long)headerLength}.");
        byte[] data = new byte[dataLength];
        if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
            throw new SafetensorsFormatException($"{source}: truncated inside the tensor data.");

        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, type, shape, begin, end) in entries.OrderBy(e => e.Begin))
        {
            var t = empty(shape, type);
            data.AsSpan((int)begin, (int)(end - begin)).CopyTo(t.bytes);
            tensors[name] = t;
        }
        return new SafetensorsContent(tensors, metadata);
    }

    private static (string, ScalarType, long[], long, long) ParseEntry(string source, string name, JsonNode? node)
    {
        try
        {
            var entry = node as JsonObject ?? throw new SafetensorsFormatException($"{source}: tensor '{name}': its entry is not an object.");
            string dtype = entry["dtype"]?.GetValue<string>() ?? throw new SafetensorsFormatException($"{source}: tensor '{name}': no dtype.");
            var type = Types.FirstOrDefault(t => t.Value.Name == dtype);
            if (type.Value.Name is null) throw new SafetensorsFormatException($"{source}: tensor '{name}': unsupported dtype {dtype}.");
            long[] shape = entry["shape"]?.AsArray().Select(Integer).ToArray()
                ?? throw new SafetensorsFormatException($"{source}: tensor '{name}': no shape.");
            var offsets = entry["data_offsets"]?.AsArray().Select(Integer).ToArray();
            if (offsets is not { Length: 2 } || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new SafetensorsFormatException($"{source}: tensor '{name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end.");
            if (shape.Any(d => d < 0))
                throw new SafetensorsFormatException($"{source}: tensor '{name}': shape [{string.Join(", ", shape)}] has a negative size.");
            long expected;
            try
            {
                expected = checked(shape.Aggregate(1L, (a, b) => a * b) * type.Value.Size);
            }
            catch (OverflowException)
            {
                throw new SafetensorsFormatException($"{source}: tensor '{name}': shape [{string.Join(", ", shape)}] {dtype} overflows 64-bit byte counts.");
            }
            if (offsets[1] - offsets[0] != expected)
                throw new SafetensorsFormatException(
                    $"{source}: tensor '{name}': shape [{string.Join(", ", shape)}] {dtype} needs {expected} bytes but data_offsets span {offsets[1] - offsets[0]}.");
            return (name, type.Key, shape, offsets[0], offsets[1]);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SafetensorsFormatException($"{source}: tensor '{name}': malformed entry ({e.Message}).");
        }
    }

    private static long Integer(JsonNode? node) =>
        node is JsonValue value ? value.GetValue<long>() : throw new FormatException($"expected an integer, got {node?.ToJsonString() ?? "null"}");
}

/// <summary>The tensors and metadata of a safetensors file; disposing it disposes the tensors.</summary>
public sealed record SafetensorsContent(IReadOnlyDictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in Tensors.Values) tensor.Dispose();
    }
}
