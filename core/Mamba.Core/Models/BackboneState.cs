using Mamba.Core.Blocks;
using Mamba.Core.Checkpoints;
using static TorchSharp.torch;

namespace Mamba.Core.Models;

/// <summary>
/// The streaming state of a whole backbone, one <see cref="LayerState"/> per layer. It serialises to bytes
/// (safetensors, tensors named <c>layers.{i}.{name}</c>), so a stream can continue in another process.
/// </summary>
public sealed class BackboneState(IReadOnlyList<LayerState> layers) : IDisposable
{
    /// <summary>Each layer's state, in layer order.</summary>
    public IReadOnlyList<LayerState> Layers { get; } = layers;

    /// <summary>The state as safetensors bytes.</summary>
    public byte[] ToBytes()
    {
        var tensors = new Dictionary<string, Tensor>();
        for (int i = 0; i < Layers.Count; i++)
            foreach (var (name, tensor) in Layers[i].Tensors)
                tensors[$"layers.{i}.{name}"] = tensor;
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, new Dictionary<string, string> { ["layers"] = Layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return stream.ToArray();
    }

    /// <summary>Rebuilds a state for <paramref name="backbone"/> from <see cref="ToBytes"/>; errors name the layer and tensor that do not fit.</summary>
    public static BackboneState FromBytes(byte[] bytes, ResidualBackbone backbone)
    {
        using var stream = new MemoryStream(bytes);
        var content = Safetensors.Read(stream, "saved backbone state");
        var layers = new List<LayerState>();
        for (int i = 0; i < backbone.Layers.Count; i++)
        {
            string prefix = $"layers.{i}.";
            var own = content.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            try
            {
                layers.Add(((IRecurrentMixer)backbone.Layers[i].Mixer).RestoreState(own));
            }
            catch (ArgumentException e)
            {
                content.Dispose();
                throw new ArgumentException($"Saved state, layer {i} ({backbone.Layers[i].Kind}): {e.Message}", e);
            }
        }
        int extra = content.Tensors.Keys.Count(k => !k.StartsWith("layers.", StringComparison.Ordinal)
            || int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) >= backbone.Layers.Count);
        if (extra > 0)
        {
            content.Dispose();
            throw new ArgumentException($"Saved state has {extra} tensor(s) for layers this backbone ({backbone.Layers.Count} layers) does not have.");
        }
        return new BackboneState(layers);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
    }
}
