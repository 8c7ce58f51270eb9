using System.Text;
using Mamba.Core.Checkpoints;
using Mamba.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mamba-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Header_layout_matches_the_format_specification()
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, new Dictionary<string, Tensor> { ["w"] = tensor(new float[] { 1, 2, 3 }), ["b"] = tensor(new long[] { 7 }) });
        byte[] bytes = stream.ToArray();

        long headerLength = BitConverter.ToInt64(bytes, 0);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Equal(0, headerLength % 8);
        Assert.Contains("\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}", header);
        Assert.Contains("\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}", header);
        Assert.Equal(8 + headerLength + 20, bytes.Length);
        Assert.Equal(7L, BitConverter.ToInt64(bytes, 8 + (int)headerLength));
        Assert.Equal(2f, BitConverter.ToSingle(bytes, 8 + (int)headerLength + 8 + 4));
    }

    [Fact]
    public void Save_then_load_gives_identical_outputs()
    {
        random.manual_seed(16);
        var options = new BackboneOptions { ModelDim = 16, Layers = "M1,M2", VocabSize = 10, Mamba2 = new() { StateSize = 16, HeadDim = 8 } };
        using var original = new TokenModel(options);
        ModelCheckpoint.Save(_dir, original, options);

        random.manual_seed(99);
        using var loaded = new TokenModel(ModelCheckpoint.LoadConfig<BackboneOptions>(_dir));
        ModelCheckpoint.LoadWeights(loaded, Path.Combine(_dir, "model.safetensors"));

        using var noGrad = no_grad();
        var tokens = randint(0, 10, [2, 6]);
        Assert.True(original.forward(tokens).eq(loaded.forward(tokens)).all().item<bool>(), "loaded model's output differs");
        Assert.False(Directory.EnumerateFiles(_dir, AtomicFile.TempPrefix + "*").Any(), "a temporary file was left behind");
    }

    [Fact]
    public void A_checkpoint_holds_each_parameter_once_under_its_mamba_ssm_name()
    {
        var options = new BackboneOptions { ModelDim = 16, Layers = "M1,M2,A", VocabSize = 10, Mamba2 = new() { StateSize = 16, HeadDim = 8 } };
        using var model = new TokenModel(options);
        ModelCheckpoint.Save(_dir, model, options);

        using var saved = Safetensors.Load(Path.Combine(_dir, "model.safetensors"));
        var names = model.named_parameters().Select(p => p.name).Concat(model.named_buffers().Select(b => b.name)).Order(StringComparer.Ordinal);
        Assert.Equal(names, saved.Tensors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_missing_or_misshapen_tensor_is_named()
    {
        using var model = new TokenModel(new BackboneOptions { ModelDim = 16, Layers = "M1", VocabSize = 10 });
        var weights = ModelCheckpoint.Tensors(model);
        string path = Path.Combine(_dir, "bad.safetensors");

        Safetensors.Save(path, weights.Where(kv => kv.Key != "backbone.layers.0.mixer.A_log").ToDictionary());
        var missing = Assert.Throws<CheckpointMismatchException>(() => ModelCheckpoint.LoadWeights(model, path));
        Assert.Contains("backbone.layers.0.mixer.A_log", missing.Message);
        Assert.Contains("missing", missing.Message);

        var reshaped = weights.ToDictionary(kv => kv.Key, kv => kv.Key == "backbone.norm_f.weight" ? ones(17) : kv.Value);
        Safetensors.Save(path, reshaped);
        var wrong = Assert.Throws<CheckpointMismatchException>(() => ModelCheckpoint.LoadWeights(model, path));
        Assert.Contains("backbone.norm_f.weight", wrong.Message);
        Assert.Contains("[17]", wrong.Message);
        Assert.Contains("[16]", wrong.Message);
    }

    [Fact]
    public void Truncated_and_corrupt_files_give_clear_errors()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(100) });
        byte[] bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path)).Message);

        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path)).Message);

        var corrupt = (byte[])bytes.Clone();
        corrupt[8] = (byte)'#';                                                    // the header's opening brace
        File.WriteAllBytes(path, corrupt);
        var error = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));
        Assert.StartsWith(path, error.Message);

        var huge = (byte[])bytes.Clone();
        BitConverter.GetBytes(long.MaxValue / 2).CopyTo(huge, 0);
        File.WriteAllBytes(path, huge);
        Assert.Contains("more than the file holds", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path)).Message);
    }

    private string WriteRaw(string header, int dataBytes = 0)
    {
        string path = Path.Combine(_dir, "raw.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)json.Length), .. json, .. new byte[dataBytes]]);
        return path;
    }

    [Fact]
    public void A_shape_whose_byte_count_overflows_is_refused_naming_the_tensor()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}""", 16);

        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));

        Assert.Contains("tensor 'w'", e.Message);
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void Metadata_that_is_not_a_string_is_refused_naming_the_key()
    {
        string path = WriteRaw("""{"__metadata__":{"format":"pt","epoch":3},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4);

        var e = Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path));

        Assert.Contains("__metadata__ 'epoch' must be a string, got 3", e.Message);
    }

    [Fact]
    public void A_shape_entry_that_is_null_is_a_format_error()
    {
        string path = WriteRaw("""{"w":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}""", 4);

        Assert.Contains("tensor 'w'", Assert.Throws<SafetensorsFormatException>(() => Safetensors.Load(path)).Message);
    }

    [Fact]
    public void Weights_holding_NaN_are_refused_naming_the_tensor()
    {
        random.manual_seed(3);
        var options = new BackboneOptions { ModelDim = 8, Layers = "M1", VocabSize = 5, Mamba1 = new() { StateSize = 4 } };
        using var model = new TokenModel(options);
        var tensors = ModelCheckpoint.Tensors(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        string poisoned = tensors.Keys.Order(StringComparer.Ordinal).First(k => k.EndsWith("in_proj.weight", StringComparison.Ordinal));
        tensors[poisoned].fill_(float.NaN);
        string path = Path.Combine(_dir, "nan.safetensors");
        Safetensors.Save(path, tensors);

        var e = Assert.Throws<CheckpointMismatchException>(() => ModelCheckpoint.LoadWeights(model, path));

        Assert.Contains($"tensor '{poisoned}' holds NaN or infinite values", e.Message);
        Assert.True(ModelCheckpoint.Tensors(model).Values.All(t => isfinite(t).all().item<bool>()), "nothing may be copied from a refused file");
    }
}
