using Mamba.Core.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Blocks;

/// <summary>Sizes and initialisation of a Mamba-1 block; the defaults are mamba_ssm's.</summary>
public sealed record MambaBlockOptions
{
    /// <summary>N, the state size per channel.</summary>
    public int StateSize { get; init; } = 16;

    /// <summary>Width of the causal depthwise convolution (d_conv).</summary>
    public int ConvKernel { get; init; } = 4;

    /// <summary>Inner width E = expand · d_model.</summary>
    public int Expand { get; init; } = 2;

    /// <summary>Rank R of the Δ projection; null means ⌈d_model / 16⌉.</summary>
    public int? DtRank { get; init; }

    /// <summary>Smallest Δ at initialisation.</summary>
    public double DtMin { get; init; } = 0.001;

    /// <summary>Largest Δ at initialisation.</summary>
    public double DtMax { get; init; } = 0.1;

    /// <summary>Lower clamp of the initial Δ.</summary>
    public double DtInitFloor { get; init; } = 1e-4;

    /// <summary>Bias on the convolution.</summary>
    public bool ConvBias { get; init; } = true;

    /// <summary>Bias on in_proj and out_proj.</summary>
    public bool Bias { get; init; }

    /// <summary>
    /// Off by default. When true, Δ, B and C no longer depend on the input: they are learned per channel (Δ) and per state
    /// (B, C) and shared by every step, which turns the block into a linear time-invariant SSM (S4D-like). This is the
    /// ablation of the Mamba paper's selective-copying experiment.
    /// </summary>
    public bool DisableSelection { get; init; }
}
