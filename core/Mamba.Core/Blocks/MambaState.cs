using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// A causal layer's inference state for a batch, carried from one token to the next.
/// Its tensors are named, so a whole model's state can be saved and restored (see <c>BackboneState</c>).
/// </summary>
public abstract record LayerState : IDisposable
{
    /// <summary>The state's tensors by name, in a fixed order.</summary>
    public abstract IReadOnlyList<(string Name, Tensor Tensor)> Tensors { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, tensor) in Tensors) tensor.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Dispose-scope handling for layer states.</summary>
public static class LayerStateExtensions
{
    /// <summary>Moves the state's tensors to the enclosing dispose scope, so the state outlives the scope it was made in.</summary>
    public static TState MoveToOuterDisposeScope<TState>(this TState state) where TState : LayerState
    {
        foreach (var (_, tensor) in state.Tensors) tensor.MoveToOuterDisposeScope();
        return state;
    }
}

/// <summary>
/// A Mamba mixer's state: the causal convolution's window (B, channels, d_conv) and the SSM state ((B, E, N) for
/// Mamba-1, (B, heads, head dim, N) for Mamba-2). Constant size, whatever the sequence length.
/// </summary>
public sealed record MambaState(Tensor Conv, Tensor Ssm) : LayerState
{
    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> Tensors => [("conv", Conv), ("ssm", Ssm)];
}

/// <summary>An attention layer's key/value cache: keys and values (B, kv heads, tokens so far, head dim). Grows by one token per step.</summary>
public sealed record KeyValueCache(Tensor Keys, Tensor Values) : LayerState
{
    /// <inheritdoc />
    public override IReadOnlyList<(string Name, Tensor Tensor)> Tensors => [("keys", Keys), ("values", Values)];
}

/// <summary>A causal mixer that can run a prompt from a state and then continue one token at a time.</summary>
public interface IRecurrentMixer
{
    /// <summary>A prefill: hidden (B, L, d_model) from <paramref name="initial"/> (empty when null) → output (B, L, d_model) and the state after the last token, ready for <see cref="Step"/>.</summary>
    (Tensor Output, LayerState State) Prefill(Tensor hidden, LayerState? initial);

    /// <summary>One token, hidden (B, d_model) → output (B, d_model) and the advanced state.</summary>
    (Tensor Output, LayerState State) Step(Tensor hidden, LayerState state);

    /// <summary>An empty state for <paramref name="batch"/> sequences.</summary>
    LayerState NewState(long batch, Device? device = null);

    /// <summary>Rebuilds a state from tensors saved by name (<see cref="LayerState.Tensors"/>), checking their shapes.</summary>
    LayerState RestoreState(IReadOnlyDictionary<string, Tensor> tensors);
}
