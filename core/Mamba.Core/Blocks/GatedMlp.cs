using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// mamba_ssm's <c>GatedMLP</c>, the feed-forward half of a Transformer-style layer: <c>fc1</c> (d_model → 2h), then
/// y ⊙ silu(gate) over its two halves, then <c>fc2</c> (h → d_model); no biases. The hidden width h is rounded up to
/// a multiple of 128, as mamba_ssm rounds it. Works per token, so it needs no streaming state.
/// </summary>
public sealed class GatedMlp : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the MLP.</summary>
    /// <param name="modelDim">d_model.</param>
    /// <param name="hiddenDim">mamba_ssm's d_intermediate, before rounding.</param>
    public GatedMlp(long modelDim, long hiddenDim) : base(nameof(GatedMlp))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenDim, 1);
        HiddenDim = (hiddenDim + 127) / 128 * 128;
        Fc1 = nn.Linear(modelDim, 2 * HiddenDim, hasBias: false);
        Fc2 = nn.Linear(HiddenDim, modelDim, hasBias: false);
        register_module("fc1", Fc1);
        register_module("fc2", Fc2);
    }

    /// <summary>h, the rounded hidden width.</summary>
    public long HiddenDim { get; }

    /// <summary>d_model → 2h: the values and their gates.</summary>
    public Linear Fc1 { get; }

    /// <summary>h → d_model.</summary>
    public Linear Fc2 { get; }

    /// <summary>x (…, d_model) → (…, d_model).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var halves = Fc1.forward(x).chunk(2, dim: -1);                        // y, gate: (…, h)
        return Fc2.forward(halves[0] * nn.functional.silu(halves[1])).MoveToOuterDisposeScope();
    }
}
