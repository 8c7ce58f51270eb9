namespace Mamba.Core.Scan;

/// <summary>A registry's scan settings; the host reads them from its "Scan" configuration section and these environment variables.</summary>
public sealed class ScanOptions
{
    /// <summary>Environment variable that forces a kernel by name, over automatic selection and configuration.</summary>
    public const string KernelVariable = "MAMBA_SCAN_KERNEL";

    /// <summary>Environment variable that turns on the finite-value check of scan inputs (1 or true).</summary>
    public const string CheckFiniteVariable = "MAMBA_SCAN_CHECK_FINITE";

    /// <summary>Kernel name to use for every scan instead of automatic selection; null selects by device, dtype and shape.</summary>
    public string? Kernel { get; set; }

    /// <summary>Check every input for NaN and infinity and name the offending argument. Off by default: it reads every input once more.</summary>
    public bool CheckFinite { get; set; }

    /// <summary>Options from the environment variables alone.</summary>
    public static ScanOptions FromEnvironment()
    {
        string? check = Environment.GetEnvironmentVariable(CheckFiniteVariable);
        return new ScanOptions
        {
            Kernel = Environment.GetEnvironmentVariable(KernelVariable) is { Length: > 0 } kernel ? kernel : null,
            CheckFinite = check is "1" || string.Equals(check, "true", StringComparison.OrdinalIgnoreCase),
        };
    }
}
