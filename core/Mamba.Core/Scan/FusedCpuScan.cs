using Mamba.Core.Scan.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>What the fused Mamba-1 forward puts in the SIMD lanes.</summary>
public enum FusedScanLanes
{
    /// <summary>Channels, unless a vector of consecutive channels would straddle two groups of B and C.</summary>
    Auto,

    /// <summary>A channel's states, 16 at a time, summed across the lanes every step (the slab kernel).</summary>
    States,

    /// <summary>Consecutive channels, each state a vector of them: no lane sum per step (as <c>scan_anchor</c> runs).</summary>
    Channels,
}

/// <summary>
/// Fused CPU scans in C# SIMD over raw tensor memory, with analytic backward passes that recompute states from
/// per-chunk carries, so the extra memory is O(B·D·N·L/64). fp32 on the CPU; other problems go to the chunked kernel.
/// The kernels are compiled for 512-, 256- and 128-bit vectors and run at the widest one the processor accelerates
/// (AVX-512, AVX2, or SSE/NEON).
/// </summary>
[ScanKernel("fused-cpu", Devices = "CPU", DTypes = "Float32", Priority = 100)]
public sealed class FusedCpuScan : IScanKernel
{
    private readonly SimdWidth _width;
    private readonly bool _emulationAllowed;
    private readonly FusedScanLanes _lanes;

    /// <summary>The kernel at the widest SIMD width this processor accelerates.</summary>
    public FusedCpuScan() => _width = SimdWidths.Widest;

    /// <summary>The kernel at the widest SIMD width, its Mamba-1 forward with <paramref name="lanes"/> (to compare the layouts).</summary>
    public FusedCpuScan(FusedScanLanes lanes)
    {
        _width = SimdWidths.Widest;
        _lanes = lanes;
    }

    /// <summary>
    /// The kernel at <paramref name="width"/>, emulated by .NET where the processor lacks it (slow, but exact: tests
    /// check every width on any machine), with the Mamba-1 forward's lane layout forced when <paramref name="lanes"/> says.
    /// </summary>
    internal FusedCpuScan(SimdWidth width, FusedScanLanes lanes = FusedScanLanes.Auto)
    {
        _width = width;
        _emulationAllowed = true;
        _lanes = lanes;
    }

    /// <inheritdoc />
    public string Variant => $"{(int)_width}-bit SIMD{(SimdWidths.IsAccelerated(_width) ? "" : ", emulated")}" +
        (_lanes == FusedScanLanes.Auto ? "" : $", {_lanes.ToString().ToLowerInvariant()} in lanes");

    /// <inheritdoc />
    public string? WhyUnsupported(in ScanProblem problem)
    {
        if (problem.Device != DeviceType.CPU) return $"runs on the CPU only, not {problem.Device}";
        if (problem.DType != ScalarType.Float32) return $"computes in float32 only, not {problem.DType}";
        if (!_emulationAllowed && !SimdWidths.IsAccelerated(_width)) return "needs SIMD instructions (not even 128-bit vectors are hardware accelerated here)";
        return null;
    }

    /// <inheritdoc />
    public SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        Require(new ScanProblem(ScanKind.Selective, inputs.U.device_type, inputs.U.dtype, shape.StateSize));
        bool differentiable = FusedLayout.NeedsGradient(inputs.U, inputs.Delta, inputs.A, inputs.B, inputs.C, inputs.D, inputs.Z, inputs.DeltaBias, inputs.InitialState);
        var results = SelectiveScanFunction.apply(inputs.U, inputs.Delta, inputs.A, inputs.B, inputs.C,
            inputs.D!, inputs.Z!, inputs.DeltaBias!, inputs.InitialState!, inputs.DeltaSoftplus, inputs.ReturnFinalState, _width, differentiable, _lanes);
        return new SelectiveScanOutput(results[0], inputs.ReturnFinalState ? results[1] : null);
    }

    /// <inheritdoc />
    public SsdScanOutput Ssd(SsdScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        Require(new ScanProblem(ScanKind.Ssd, inputs.X.device_type, inputs.X.dtype, shape.StateSize));
        var results = SsdScanFunction.apply(inputs.X, inputs.Dt, inputs.A, inputs.B, inputs.C,
            inputs.D!, inputs.DtBias!, inputs.InitialStates!, inputs.DtSoftplus, inputs.ReturnFinalStates, _width);
        return new SsdScanOutput(results[0], inputs.ReturnFinalStates ? results[1] : null);
    }

    private void Require(in ScanProblem problem)
    {
        if (WhyUnsupported(problem) is { } why)
            throw new NotSupportedException($"fused-cpu cannot run this scan: {why}. Let the registry choose a kernel, or force 'chunked'.");
    }
}
