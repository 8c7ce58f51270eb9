using Mamba.Core.Scan;
using Mamba.Core.Scan.Cpu;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// The Mamba-1 mixer (mamba_ssm's <c>Mamba</c>): in_proj → causal depthwise conv + silu → x_proj gives (Δ, B, C) →
/// selective scan gated by silu(z) → out_proj. Parameter names follow mamba_ssm's state dict
/// (<c>in_proj.weight</c>, <c>conv1d.weight</c>, <c>x_proj.weight</c>, <c>dt_proj.bias</c>, <c>A_log</c>, <c>D</c>, …).
/// Input and output: (B, L, d_model).
/// </summary>
public sealed class MambaBlock : nn.Module<Tensor, Tensor>, IRecurrentMixer
{
    /// <summary>Creates the block with mamba_ssm's initialisation.</summary>
    /// <param name="modelDim">d_model.</param>
    /// <param name="options">Sizes; null for mamba_ssm's defaults.</param>
    /// <param name="kernels">Scan kernels to dispatch to; null for the one <see cref="ScanKernelRegistry.Current"/> at each call.</param>
    public MambaBlock(long modelDim, MambaBlockOptions? options = null, ScanKernelRegistry? kernels = null) : base(nameof(MambaBlock))
    {
        options ??= new MambaBlockOptions();
        ModelDim = modelDim;
        InnerDim = options.Expand * modelDim;
        InProj = nn.Linear(modelDim, 2 * InnerDim, hasBias: options.Bias);
        register_module("in_proj", InProj);
        Ssm = new SelectiveSsm(this, "", modelDim, InnerDim, options, kernels);
        OutProj = nn.Linear(InnerDim, modelDim, hasBias: options.Bias);
        register_module("out_proj", OutProj);
    }

    /// <summary>d_model.</summary>
    public long ModelDim { get; }

    /// <summary>E = expand · d_model.</summary>
    public long InnerDim { get; }

    /// <summary>d_model → 2E (x and z).</summary>
    public Linear InProj { get; }

    /// <summary>The selective SSM between the projections.</summary>
    public SelectiveSsm Ssm { get; }

    /// <summary>E → d_model.</summary>
    public Linear OutProj { get; }

    /// <summary>hidden (B, L, d_model) → (B, L, d_model).</summary>
    public override Tensor forward(Tensor hidden) => Run(hidden, null, returnState: false).Output;

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Prefill(Tensor hidden, LayerState? initial)
    {
        var (output, state) = Run(hidden, MambaStates.Expect(initial), returnState: true);
        return (output, state!);
    }

    private (Tensor Output, MambaState? State) Run(Tensor hidden, MambaState? initial, bool returnState)
    {
        using var scope = NewDisposeScope();
        var xz = InProj.forward(hidden).transpose(1, 2).chunk(2, dim: 1);        // x, z: (B, E, L)
        var (y, state) = Ssm.Forward(xz[0], xz[1], initial, returnState);
        return (OutProj.forward(y.transpose(1, 2)).MoveToOuterDisposeScope(), state?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Whether <see cref="Step"/> runs the fused CPU step (C# SIMD, float32, inference) where it can; false runs the
    /// libtorch ops, which the fused step is tested against and <c>mamba bench decode</c> compares it with.
    /// </summary>
    public static bool FusedCpuStep { get; set; } = true;

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Step(Tensor hidden, LayerState state)
    {
        var current = MambaStates.Expect(state)!;
        if (FusedCpuStep && MambaStepCpu.Supports(this, hidden, current)) return MambaStepCpu.Step(this, hidden, current);
        using var scope = NewDisposeScope();
        var xz = InProj.forward(hidden).chunk(2, dim: -1);                        // x, z: (B, E)
        var (y, next) = Ssm.Step(xz[0], xz[1], current);
        return (OutProj.forward(y).MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public LayerState NewState(long batch, Device? device = null) => Ssm.NewState(batch, device);

    /// <inheritdoc />
    public LayerState RestoreState(IReadOnlyDictionary<string, Tensor> tensors) =>
        MambaStates.Restore(tensors, [InnerDim, Ssm.Conv.Kernel], [InnerDim, Ssm.StateSize]);
}
