using Mamba.Core.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>Sizes and initialisation of a Mamba-2 block; the defaults are mamba_ssm's.</summary>
public sealed record Mamba2BlockOptions
{
    /// <summary>N, the state size.</summary>
    public int StateSize { get; init; } = 128;

    /// <summary>Width of the causal depthwise convolution over x, B and C.</summary>
    public int ConvKernel { get; init; } = 4;

    /// <summary>Inner width = expand · d_model.</summary>
    public int Expand { get; init; } = 2;

    /// <summary>P, the head dimension; heads = inner width / P.</summary>
    public int HeadDim { get; init; } = 64;

    /// <summary>Groups sharing B and C (like grouped-query attention's key/value heads).</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Lower end of the initial −A: A_h = −U(AInitMin, AInitMax).</summary>
    public double AInitMin { get; init; } = 1;

    /// <summary>Upper end of the initial −A.</summary>
    public double AInitMax { get; init; } = 16;

    /// <summary>Smallest Δ at initialisation.</summary>
    public double DtMin { get; init; } = 0.001;

    /// <summary>Largest Δ at initialisation.</summary>
    public double DtMax { get; init; } = 0.1;

    /// <summary>Lower clamp of the initial Δ.</summary>
    public double DtInitFloor { get; init; } = 1e-4;

    /// <summary>Chunk length of the chunked SSD algorithm.</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>Bias on the convolution.</summary>
    public bool ConvBias { get; init; } = true;

    /// <summary>Bias on in_proj and out_proj.</summary>
    public bool Bias { get; init; }
}

/// <summary>
/// The Mamba-2 mixer (mamba_ssm's <c>Mamba2</c>): in_proj gives [z, x, B, C, dt]; a causal depthwise conv + silu runs
/// over x, B and C; the SSD scan runs per head with a scalar decay; the output is normalised by a gated RMSNorm with z
/// and projected back. Parameters: <c>in_proj</c>, <c>conv1d</c>, <c>dt_bias</c>, <c>A_log</c>, <c>D</c>, <c>norm</c>,
/// <c>out_proj</c>. Input and output: (B, L, d_model).
/// </summary>
public sealed class Mamba2Block : nn.Module<Tensor, Tensor>, IRecurrentMixer
{
    private readonly ScanKernelRegistry? _kernels;
    private readonly int _chunkSize;

    /// <summary>Creates the block with mamba_ssm's initialisation.</summary>
    public Mamba2Block(long modelDim, Mamba2BlockOptions? options = null, ScanKernelRegistry? kernels = null) : base(nameof(Mamba2Block))
    {
        options ??= new Mamba2BlockOptions();
        _kernels = kernels;
        _chunkSize = options.ChunkSize;
        ModelDim = modelDim;
        InnerDim = options.Expand * modelDim;
        if (InnerDim % options.HeadDim != 0)
            throw new ArgumentException($"The inner width {InnerDim} must be a multiple of the head dimension {options.HeadDim}.", nameof(options));
        HeadDim = options.HeadDim;
        Heads = InnerDim / HeadDim;
        Groups = options.Groups;
        if (Heads % Groups != 0)
            throw new ArgumentException($"The {Groups} groups must divide the {Heads} heads.", nameof(options));
        StateSize = options.StateSize;
        long convDim = InnerDim + 2 * Groups * StateSize;

        InProj = nn.Linear(modelDim, 2 * InnerDim + 2 * Groups * StateSize + Heads, hasBias: options.Bias);
        Conv = new CausalConv1d(convDim, options.ConvKernel, options.ConvBias);
        DtBias = new Parameter(SsmInit.InverseSoftplus(SsmInit.LogUniformDt(Heads, options.DtMin, options.DtMax, options.DtInitFloor)));
        ALog = new Parameter((rand(Heads) * (options.AInitMax - options.AInitMin) + options.AInitMin).log());
        D = new Parameter(ones(Heads));
        Norm = new GatedRmsNorm(InnerDim, InnerDim / Groups);
        OutProj = nn.Linear(InnerDim, modelDim, hasBias: options.Bias);
        SsmInit.ExemptFromWeightDecay(DtBias, ALog, D);

        register_module("in_proj", InProj);
        register_module("conv1d", Conv);
        register_parameter("dt_bias", DtBias);
        register_parameter("A_log", ALog);
        register_parameter("D", D);
        register_module("norm", Norm);
        register_module("out_proj", OutProj);
    }

    /// <summary>d_model.</summary>
    public long ModelDim { get; }

    /// <summary>Inner width, heads · head dim.</summary>
    public long InnerDim { get; }

    /// <summary>Number of heads.</summary>
    public long Heads { get; }

    /// <summary>P.</summary>
    public long HeadDim { get; }

    /// <summary>Groups of B and C.</summary>
    public long Groups { get; }

    /// <summary>N.</summary>
    public long StateSize { get; }

    /// <summary>d_model → [z, x, B, C, dt].</summary>
    public Linear InProj { get; }

    /// <summary>Causal depthwise convolution over [x, B, C].</summary>
    public CausalConv1d Conv { get; }

    /// <summary>Δ bias per head.</summary>
    public Parameter DtBias { get; }

    /// <summary>log(−A) per head.</summary>
    public Parameter ALog { get; }

    /// <summary>Skip per head.</summary>
    public Parameter D { get; }

    /// <summary>Gated RMSNorm of the scan output with z.</summary>
    public GatedRmsNorm Norm { get; }

    /// <summary>Inner width → d_model.</summary>
    public Linear OutProj { get; }

    /// <summary>hidden (B, L, d_model) → (B, L, d_model).</summary>
    public override Tensor forward(Tensor hidden) => Run(hidden, null, returnState: false).Output;

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Prefill(Tensor hidden, LayerState? initial)
    {
        var (output, state) = Run(hidden, MambaStates.Expect(initial), returnState: true);
        return (output, state!);
    }

    /// <summary>The forward pass; the final state is computed only when <paramref name="returnState"/> (nothing back-propagates through it).</summary>
    private (Tensor Output, MambaState? State) Run(Tensor hidden, MambaState? start, bool returnState)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], length = hidden.shape[1];
        var (z, xbc, dt) = SplitProjection(InProj.forward(hidden));                     // (B, L, ·)
        var (convolved, window) = Conv.Prefill(xbc.transpose(1, 2), start?.Conv, returnState, silu: true); // (B, conv dim, L)
        var (x, b, c) = SplitConvolved(convolved.transpose(1, 2));

        var scan = SsdScan.Run(new SsdScanInputs
        {
            X = x.view(batch, length, Heads, HeadDim), Dt = dt, A = -ALog.exp(),
            B = b.view(batch, length, Groups, StateSize), C = c.view(batch, length, Groups, StateSize),
            D = D, DtBias = DtBias, DtSoftplus = true, ChunkSize = _chunkSize,
            InitialStates = start?.Ssm, ReturnFinalStates = returnState,
        }, _kernels);
        // A kernel may return any strides (the chunked kernel's output is a permuted view), so reshape rather than view.
        var y = Norm.forward(scan.Output.reshape(batch, length, InnerDim), z);
        var state = returnState ? new MambaState(window!, scan.FinalStates!).MoveToOuterDisposeScope() : null;
        return (OutProj.forward(y).MoveToOuterDisposeScope(), state);
    }

    /// <inheritdoc />
    public (Tensor Output, LayerState State) Step(Tensor hidden, LayerState state)
    {
        using var scope = NewDisposeScope();
        var current = MambaStates.Expect(state)!;
        long batch = hidden.shape[0];
        var (z, xbc, dt) = SplitProjection(InProj.forward(hidden));                     // (B, ·)
        var (convOut, convState) = Conv.Step(current.Conv, xbc);
        var (x, b, c) = SplitConvolved(nn.functional.silu(convOut));
        var (y, ssm) = SsdScan.Step(current.Ssm, x.view(batch, Heads, HeadDim), dt, -ALog.exp(),
            b.view(batch, Groups, StateSize), c.view(batch, Groups, StateSize), D, DtBias, dtSoftplus: true);
        var output = OutProj.forward(Norm.forward(y.reshape(batch, InnerDim), z));
        return (output.MoveToOuterDisposeScope(), new MambaState(convState, ssm).MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public LayerState NewState(long batch, Device? device = null) =>
        new MambaState(zeros([batch, Conv.Channels, Conv.Kernel], device: device), zeros([batch, Heads, HeadDim, StateSize], device: device));

    /// <inheritdoc />
    public LayerState RestoreState(IReadOnlyDictionary<string, Tensor> tensors) =>
        MambaStates.Restore(tensors, [Conv.Channels, Conv.Kernel], [Heads, HeadDim, StateSize]);

    private (Tensor Z, Tensor Xbc, Tensor Dt) SplitProjection(Tensor projected)
    {
        var parts = projected.split([InnerDim, InnerDim + 2 * Groups * StateSize, Heads], dim: -1);
        return (parts[0], parts[1], parts[2]);
    }

    private (Tensor X, Tensor B, Tensor C) SplitConvolved(Tensor convolved)
    {
        var parts = convolved.split([InnerDim, Groups * StateSize, Groups * StateSize], dim: -1);
        return (parts[0], parts[1], parts[2]);
    }
}
