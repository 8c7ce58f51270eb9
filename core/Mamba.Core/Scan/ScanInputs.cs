using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>
/// Arguments of the Mamba-1 selective scan (S6), with mamba_ssm's semantics.
/// Shapes: u, delta, z (B, D, L); A (D, N); B and C (B, N, L), or grouped (B, G, N, L) where each group
/// serves D/G consecutive channels; D and delta_bias (D); initial state (B, D, N).
/// </summary>
public sealed record SelectiveScanInputs
{
    /// <summary>Input sequence u, (B, D, L).</summary>
    public required Tensor U { get; init; }

    /// <summary>Step size before bias and softplus, (B, D, L).</summary>
    public required Tensor Delta { get; init; }

    /// <summary>State matrix A (diagonal per channel), (D, N); negative for a stable scan.</summary>
    public required Tensor A { get; init; }

    /// <summary>Input projection B, (B, N, L) or (B, G, N, L).</summary>
    public required Tensor B { get; init; }

    /// <summary>Output projection C, (B, N, L) or (B, G, N, L).</summary>
    public required Tensor C { get; init; }

    /// <summary>Skip connection D, (D); none when null.</summary>
    public Tensor? D { get; init; }

    /// <summary>Gate z, (B, D, L); when given the output is multiplied by silu(z).</summary>
    public Tensor? Z { get; init; }

    /// <summary>Bias added to delta before the softplus, (D).</summary>
    public Tensor? DeltaBias { get; init; }

    /// <summary>Apply softplus to delta (+ bias); mamba_ssm's blocks always do.</summary>
    public bool DeltaSoftplus { get; init; }

    /// <summary>State before the first step, (B, D, N); zero when null.</summary>
    public Tensor? InitialState { get; init; }

    /// <summary>Also return the state after the last step, (B, D, N).</summary>
    public bool ReturnFinalState { get; init; }
}

/// <summary>Result of a selective scan: the output (B, D, L), in the input's dtype, and the final state (B, D, N) when asked for.</summary>
public sealed record SelectiveScanOutput(Tensor Output, Tensor? FinalState);

/// <summary>
/// Arguments of the Mamba-2 structured state-space duality (SSD) scan.
/// Shapes: x (b, l, h, p); dt (b, l, h); A (h); B and C (b, l, g, n) with g dividing h; D and dt_bias (h);
/// initial states (b, h, p, n).
/// </summary>
public sealed record SsdScanInputs
{
    /// <summary>Input x, (b, l, h, p).</summary>
    public required Tensor X { get; init; }

    /// <summary>Step size before bias and softplus, (b, l, h).</summary>
    public required Tensor Dt { get; init; }

    /// <summary>Scalar decay rate per head, (h); negative.</summary>
    public required Tensor A { get; init; }

    /// <summary>Input projection B, (b, l, g, n).</summary>
    public required Tensor B { get; init; }

    /// <summary>Output projection C, (b, l, g, n).</summary>
    public required Tensor C { get; init; }

    /// <summary>Skip connection per head, (h); none when null.</summary>
    public Tensor? D { get; init; }

    /// <summary>Bias added to dt before the softplus, (h).</summary>
    public Tensor? DtBias { get; init; }

    /// <summary>Apply softplus to dt (+ bias).</summary>
    public bool DtSoftplus { get; init; }

    /// <summary>Chunk length of the chunked algorithm; it changes speed and memory, never the result. mamba_ssm's default is 256.</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>State before the first step, (b, h, p, n); zero when null.</summary>
    public Tensor? InitialStates { get; init; }

    /// <summary>Also return the state after the last step, (b, h, p, n).</summary>
    public bool ReturnFinalStates { get; init; }
}

/// <summary>Result of an SSD scan: y (b, l, h, p), in the input's dtype, and the final states (b, h, p, n) when asked for.</summary>
public sealed record SsdScanOutput(Tensor Output, Tensor? FinalStates);
