using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>Which scan a kernel is asked to run.</summary>
public enum ScanKind
{
    /// <summary>Mamba-1 selective scan.</summary>
    Selective,
    /// <summary>Mamba-2 SSD scan.</summary>
    Ssd,
}

/// <summary>What a kernel is asked to run: enough to decide whether it can, before any work starts.</summary>
/// <param name="Kind">Selective (Mamba-1) or SSD (Mamba-2).</param>
/// <param name="Device">Device type of the inputs.</param>
/// <param name="DType">Element type of the inputs.</param>
/// <param name="StateSize">N, the state size per channel (Mamba-1) or per head row (Mamba-2).</param>
public readonly record struct ScanProblem(ScanKind Kind, DeviceType Device, ScalarType DType, long StateSize);

/// <summary>
/// A scan implementation. Kernels are stateless and thread-safe; the registry chooses one per problem.
/// Implementations export themselves with <see cref="ScanKernelAttribute"/>.
/// </summary>
public interface IScanKernel
{
    /// <summary>How the kernel runs on this machine (a SIMD width, a GPU architecture), shown where its choice is logged; empty when there is nothing to add.</summary>
    string Variant => "";

    /// <summary>Why this kernel cannot run <paramref name="problem"/>, or null when it can.</summary>
    string? WhyUnsupported(in ScanProblem problem);

    /// <summary>Runs the Mamba-1 selective scan; differentiable in every tensor input.</summary>
    SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs);

    /// <summary>Runs the Mamba-2 SSD scan; differentiable in every tensor input.</summary>
    SsdScanOutput Ssd(SsdScanInputs inputs);
}

/// <summary>
/// Exports a scan kernel with its metadata, MEF-style: the registry reads it without running the kernel.
/// A plugin adds a kernel (a GPU one, say) by exporting a type with this attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ScanKernelAttribute(string name) : Attribute
{
    /// <summary>Unique name, used to force the kernel by configuration (MAMBA_SCAN_KERNEL).</summary>
    public string Name { get; } = name;

    /// <summary>Device types it runs on, comma-separated (cpu, cuda), or * for any.</summary>
    public string Devices { get; init; } = "*";

    /// <summary>Element types it accepts, comma-separated TorchSharp names (Float32, Float64, BFloat16), or * for any.</summary>
    public string DTypes { get; init; } = "*";

    /// <summary>Higher wins when several kernels can run a problem.</summary>
    public int Priority { get; init; }

    /// <summary>True when the attribute admits <paramref name="device"/> and <paramref name="dtype"/>.</summary>
    public bool Admits(DeviceType device, ScalarType dtype) =>
        Matches(Devices, device.ToString()) && Matches(DTypes, dtype.ToString());

    private static bool Matches(string list, string value) =>
        list == "*" || list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(item => string.Equals(item, value, StringComparison.OrdinalIgnoreCase));
}
