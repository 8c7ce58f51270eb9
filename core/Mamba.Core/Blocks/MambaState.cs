using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// A recurrent mixer's inference state for a batch: the causal convolution's window (B, channels, d_conv) and the
/// SSM state ((B, E, N) for Mamba-1, (B, heads, head dim, N) for Mamba-2). Constant size, whatever the sequence length.
/// </summary>
public sealed record MambaState(Tensor Conv, Tensor Ssm) : IDisposable
{
    /// <summary>Moves both tensors to the enclosing dispose scope, so the state outlives the scope it was made in.</summary>
    public MambaState MoveToOuterDisposeScope()
    {
        Conv.MoveToOuterDisposeScope();
        Ssm.MoveToOuterDisposeScope();
        return this;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Conv.Dispose();
        Ssm.Dispose();
    }
}

/// <summary>A causal mixer that can run a sequence from a state and then continue one token at a time in O(1).</summary>
public interface IRecurrentMixer
{
    /// <summary>A prefill: hidden (B, L, d_model) from <paramref name="initial"/> (zero when null) → output (B, L, d_model) and the state after the last token, ready for <see cref="Step"/>.</summary>
    (Tensor Output, MambaState State) Prefill(Tensor hidden, MambaState? initial);

    /// <summary>One token, hidden (B, d_model) → output (B, d_model) and the advanced state.</summary>
    (Tensor Output, MambaState State) Step(Tensor hidden, MambaState state);

    /// <summary>A zero state for <paramref name="batch"/> sequences.</summary>
    MambaState NewState(long batch, Device? device = null);
}
