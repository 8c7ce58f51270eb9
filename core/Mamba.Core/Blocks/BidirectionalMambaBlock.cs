using Mamba.Core.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// A bidirectional Mamba-1 mixer in Vision Mamba's "v2" layout: one in_proj and one out_proj shared by both directions;
/// the backward direction has its own conv, x_proj, dt_proj, A and D (<c>conv1d_b</c>, <c>x_proj_b</c>,
/// <c>dt_proj_b</c>, <c>A_b_log</c>, <c>D_b</c>) and runs on the flipped sequence; out = out_proj((y_fwd + flip(y_bwd)) / 2).
/// With <c>tieDirections</c> both directions share every parameter (as Caduceus' weight tying does for its
/// projections), so the layer commutes with reversing the sequence. Not causal: it has no streaming step.
/// </summary>
public sealed class BidirectionalMambaBlock : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the block with mamba_ssm's initialisation in each direction.</summary>
    public BidirectionalMambaBlock(long modelDim, MambaBlockOptions? options = null, bool tieDirections = false, ScanKernelRegistry? kernels = null)
        : base(nameof(BidirectionalMambaBlock))
    {
        options ??= new MambaBlockOptions();
        ModelDim = modelDim;
        InnerDim = options.Expand * modelDim;
        InProj = nn.Linear(modelDim, 2 * InnerDim, hasBias: options.Bias);
        register_module("in_proj", InProj);
        Forwards = new SelectiveSsm(this, "", modelDim, InnerDim, options, kernels);
        Backwards = tieDirections ? Forwards : new SelectiveSsm(this, "_b", modelDim, InnerDim, options, kernels);
        OutProj = nn.Linear(InnerDim, modelDim, hasBias: options.Bias);
        register_module("out_proj", OutProj);
    }

    /// <summary>d_model.</summary>
    public long ModelDim { get; }

    /// <summary>E.</summary>
    public long InnerDim { get; }

    /// <summary>Shared d_model → 2E.</summary>
    public Linear InProj { get; }

    /// <summary>The forward-direction SSM.</summary>
    public SelectiveSsm Forwards { get; }

    /// <summary>The backward-direction SSM (the same object when the directions are tied).</summary>
    public SelectiveSsm Backwards { get; }

    /// <summary>Shared E → d_model.</summary>
    public Linear OutProj { get; }

    /// <summary>hidden (B, L, d_model) → (B, L, d_model); every output position sees the whole sequence.</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var xz = InProj.forward(hidden).transpose(1, 2).chunk(2, dim: 1);         // x, z: (B, E, L)
        var (forwards, _) = Forwards.Forward(xz[0], xz[1], null, returnState: false);
        var (backwards, _) = Backwards.Forward(xz[0].flip(-1), xz[1].flip(-1), null, returnState: false);
        var y = (forwards + backwards.flip(-1)) / 2;
        return OutProj.forward(y.transpose(1, 2)).MoveToOuterDisposeScope();
    }
}
