using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>Checks shared by the Mamba mixers' state handling.</summary>
internal static class MambaStates
{
    /// <summary>The state as a <see cref="MambaState"/>, or a clear error when a layer is handed another layer's state.</summary>
    public static MambaState? Expect(LayerState? state) => state switch
    {
        null => null,
        MambaState mamba => mamba,
        _ => throw new ArgumentException($"A Mamba layer was given a {state.GetType().Name}; states must stay with the layer that made them.", nameof(state)),
    };

    /// <summary>Rebuilds a state from "conv" and "ssm" tensors whose shapes after the batch axis must be as given.</summary>
    public static MambaState Restore(IReadOnlyDictionary<string, Tensor> tensors, long[] convShape, long[] ssmShape)
    {
        var conv = Required(tensors, "conv", convShape);
        var ssm = Required(tensors, "ssm", ssmShape);
        if (conv.shape[0] != ssm.shape[0])
            throw new ArgumentException($"State tensors disagree on the batch size: conv has {conv.shape[0]}, ssm has {ssm.shape[0]}.");
        return new MambaState(conv, ssm);
    }

    internal static Tensor Required(IReadOnlyDictionary<string, Tensor> tensors, string name, long[] shapeAfterBatch)
    {
        if (!tensors.TryGetValue(name, out var tensor))
            throw new ArgumentException($"The saved state has no '{name}' tensor.");
        if (tensor.dim() != shapeAfterBatch.Length + 1 || !tensor.shape.Skip(1).SequenceEqual(shapeAfterBatch))
            throw new ArgumentException(
                $"The saved '{name}' tensor has shape [{string.Join(", ", tensor.shape)}]; this layer needs [batch, {string.Join(", ", shapeAfterBatch)}].");
        return tensor;
    }
}
