using Mamba.Core.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>
/// The input-dependent SSM of a Mamba-1 mixer, between in_proj and out_proj: causal depthwise conv + silu over x,
/// x_proj to (Δ, B, C), dt_proj, and the selective scan gated by silu(z). Not a module of its own: it registers its
/// parameters on the owning block under mamba_ssm's flat names (<c>conv1d</c>, <c>x_proj</c>, <c>dt_proj</c>,
/// <c>A_log</c>, <c>D</c>), or Vision Mamba's names for a backward direction (<c>conv1d_b</c>, …, <c>A_b_log</c>, <c>D_b</c>).
/// </summary>
public sealed class SelectiveSsm
{
    private readonly ScanKernelRegistry? _kernels;

    internal SelectiveSsm(nn.Module owner, string suffix, long modelDim, long innerDim, MambaBlockOptions options, ScanKernelRegistry? kernels)
    {
        _kernels = kernels;
        InnerDim = innerDim;
        StateSize = options.StateSize;
        DtRank = options.DtRank ?? (int)Math.Ceiling(modelDim / 16.0);
        Conv = new CausalConv1d(innerDim, options.ConvKernel, options.ConvBias);
        XProj = nn.Linear(innerDim, DtRank + 2 * StateSize, hasBias: false);
        DtProj = nn.Linear(DtRank, innerDim, hasBias: true);
        ALog = new Parameter(SsmInit.S4DRealALog(innerDim, StateSize));
        D = new Parameter(ones(innerDim));
        SsmInit.InitializeDtProjection(DtProj, DtRank, options.DtMin, options.DtMax, options.DtInitFloor);
        SsmInit.ExemptFromWeightDecay(ALog, D, DtProj.bias!);

        owner.register_module("conv1d" + suffix, Conv);
        owner.register_module("x_proj" + suffix, XProj);
        owner.register_module("dt_proj" + suffix, DtProj);
        owner.register_parameter(suffix.Length == 0 ? "A_log" : $"A{suffix}_log", ALog);
        owner.register_parameter("D" + suffix, D);
        if (options.DisableSelection)
        {
            LtiB = new Parameter(randn(StateSize) / Math.Sqrt(StateSize));
            LtiC = new Parameter(randn(StateSize) / Math.Sqrt(StateSize));
            owner.register_parameter("lti_B" + suffix, LtiB);
            owner.register_parameter("lti_C" + suffix, LtiC);
        }
    }

    /// <summary>E.</summary>
    public long InnerDim { get; }

    /// <summary>N.</summary>
    public long StateSize { get; }

    /// <summary>R, the rank of the Δ projection.</summary>
    public long DtRank { get; }

    /// <summary>Causal depthwise convolution over x.</summary>
    public CausalConv1d Conv { get; }

    /// <summary>E → R + 2N: Δ (low rank), B, C.</summary>
    public Linear XProj { get; }

    /// <summary>R → E; its bias is Δ's bias, added inside the scan.</summary>
    public Linear DtProj { get; }

    /// <summary>log(−A), (E, N).</summary>
    public Parameter ALog { get; }

    /// <summary>Skip connection, (E).</summary>
    public Parameter D { get; }

    /// <summary>Constant B of the LTI ablation (selection disabled), else null.</summary>
    public Parameter? LtiB { get; }

    /// <summary>Constant C of the LTI ablation (selection disabled), else null.</summary>
    public Parameter? LtiC { get; }

    /// <summary>
    /// x and z (B, E, L) → y (B, E, L), continuing from <paramref name="initial"/> when given, and, when
    /// <paramref name="returnState"/>, the state after the last step (conv window and SSM state), which is what a
    /// prefill leaves for <see cref="Step"/>. Training passes skip the state: nothing back-propagates through it.
    /// </summary>
    public (Tensor Output, MambaState? State) Forward(Tensor x, Tensor z, MambaState? initial, bool returnState)
    {
        using var scope = NewDisposeScope();
        var (convolved, window) = Conv.Prefill(x, initial?.Conv, returnState, silu: true);

        var (dt, b, c) = Projections(convolved.transpose(1, 2));                  // (B, L, E), (B, L, N) ×2
        var scan = SelectiveScan.Run(new SelectiveScanInputs
        {
            U = convolved, Delta = dt.transpose(1, 2), A = -ALog.exp(),
            B = b.transpose(1, 2), C = c.transpose(1, 2),
            D = D, Z = z, DeltaBias = DtProj.bias, DeltaSoftplus = true,
            InitialState = initial?.Ssm, ReturnFinalState = returnState,
        }, _kernels);
        var state = returnState ? new MambaState(window!, scan.FinalState!).MoveToOuterDisposeScope() : null;
        return (scan.Output.MoveToOuterDisposeScope(), state);
    }

    /// <summary>One token: x and z (B, E) → y (B, E), with the state advanced.</summary>
    public (Tensor Output, MambaState State) Step(Tensor x, Tensor z, MambaState state)
    {
        using var scope = NewDisposeScope();
        var (convOut, convState) = Conv.Step(state.Conv, x);
        var convolved = nn.functional.silu(convOut);
        var (dt, b, c) = Projections(convolved);
        var (y, ssm) = SelectiveScan.Step(state.Ssm, convolved, dt, -ALog.exp(), b, c, D, z, DtProj.bias, deltaSoftplus: true);
        return (y.MoveToOuterDisposeScope(), new MambaState(convState, ssm).MoveToOuterDisposeScope());
    }

    /// <summary>An empty state for <paramref name="batch"/> sequences.</summary>
    public MambaState NewState(long batch, Device? device = null) =>
        new(zeros([batch, InnerDim, Conv.Kernel], device: device), zeros([batch, InnerDim, StateSize], device: device));

    /// <summary>Δ before its bias (…, E), B (…, N) and C (…, N) from x (…, E); learned constants in the LTI ablation.</summary>
    private (Tensor Dt, Tensor B, Tensor C) Projections(Tensor x)
    {
        if (LtiB is null || LtiC is null)
        {
            var pieces = XProj.forward(x).split([DtRank, StateSize, StateSize], dim: -1);
            return (nn.functional.linear(pieces[0], DtProj.weight), pieces[1], pieces[2]);
        }

        long[] leading = x.shape[..^1];
        // Δ = softplus(dt bias): learned per channel, the same at every step.
        return (zeros([.. leading, InnerDim], x.dtype, x.device), LtiB.expand([.. leading, StateSize]), LtiC.expand([.. leading, StateSize]));
    }
}
