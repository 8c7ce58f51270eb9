using System.Runtime.InteropServices;

namespace Mamba.Host;

/// <summary>
/// Makes glibc's malloc keep freed memory for reuse, as a caching allocator would. libtorch's CPU allocator asks
/// malloc for every tensor; by default glibc serves blocks of 32 MiB and more with a fresh <c>mmap</c> and returns
/// freed heap tops to the kernel, so each long-sequence activation is paid for again in page faults (measured:
/// a 4-layer Mamba stack's forward at 32k tokens drops from 5.2 s to 2.6 s with this on; see docs/benchmarks.md).
/// The price is that the process keeps its peak heap until it exits. <c>MAMBA_NATIVE_HEAP=system</c> leaves
/// glibc's defaults.
/// </summary>
internal static partial class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapMax = -4;       // M_MMAP_MAX

    /// <summary>Applies the setting; returns false when the platform has no glibc or the user opted out.</summary>
    public static bool RetainFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MAMBA_NATIVE_HEAP") == "system")
            return false;
        try
        {
            // Serving large blocks from the heap only pays off if the heap is not trimmed straight after.
            return MallocOption(MmapMax, 0) == 1 && MallocOption(TrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc.so.6", EntryPoint = "mallopt")]
    private static partial int MallocOption(int parameter, int value);
}
