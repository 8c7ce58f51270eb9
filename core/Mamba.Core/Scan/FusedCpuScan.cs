using System.Runtime.Intrinsics;
using Mamba.Core.Scan.Cpu;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>
/// Fused CPU scans in C# SIMD over raw tensor memory, with analytic backward passes that recompute states from
/// per-chunk carries, so the extra memory is O(B·D·N·L/64). fp32 on the CPU; other problems go to the chunked kernel.
/// </summary>
[ScanKernel("fused-cpu", Devices = "CPU", DTypes = "Float32", Priority = 100)]
public sealed class FusedCpuScan : IScanKernel
{
    /// <inheritdoc />
    public string? WhyUnsupported(in ScanProblem problem)
    {
        if (problem.Device != DeviceType.CPU) return $"runs on the CPU only, not {problem.Device}";
        if (problem.DType != ScalarType.Float32) return $"computes in float32 only, not {problem.DType}";
        if (!Vector512.IsHardwareAccelerated) return "needs AVX-512 (Vector512 is not hardware accelerated here)";
        return null;
    }

    /// <inheritdoc />
    public SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        Require(new ScanProblem(ScanKind.Selective, inputs.U.device_type, inputs.U.dtype, shape.StateSize));
        var results = SelectiveScanFunction.apply(inputs.U, inputs.Delta, inputs.A, inputs.B, inputs.C,
            inputs.D!, inputs.Z!, inputs.DeltaBias!, inputs.InitialState!, inputs.DeltaSoftplus, inputs.ReturnFinalState);
        return new SelectiveScanOutput(results[0], inputs.ReturnFinalState ? results[1] : null);
    }

    /// <inheritdoc />
    public SsdScanOutput Ssd(SsdScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        Require(new ScanProblem(ScanKind.Ssd, inputs.X.device_type, inputs.X.dtype, shape.StateSize));
        var results = SsdScanFunction.apply(inputs.X, inputs.Dt, inputs.A, inputs.B, inputs.C,
            inputs.D!, inputs.DtBias!, inputs.InitialStates!, inputs.DtSoftplus, inputs.ReturnFinalStates);
        return new SsdScanOutput(results[0], inputs.ReturnFinalStates ? results[1] : null);
    }

    private void Require(in ScanProblem problem)
    {
        if (WhyUnsupported(problem) is { } why)
            throw new NotSupportedException($"fused-cpu cannot run this scan: {why}. Let the registry choose a kernel, or force 'chunked'.");
    }
}
