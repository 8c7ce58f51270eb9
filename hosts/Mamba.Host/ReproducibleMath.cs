using System.Runtime.InteropServices;

namespace Mamba.Host;

/// <summary>
/// Makes libtorch's MKL give the same bits run after run. By default MKL picks GEMM code paths by the alignment of the
/// buffers it is handed, which differs from one process to the next, so two runs of one seeded job (or an interrupted
/// run and its resume) drift apart in the last bits and then further. <c>MKL_CBWR=AUTO</c> (conditional numerical
/// reproducibility) keeps the fastest path for this CPU and makes results independent of alignment: the same on the
/// same machine type and thread count. MKL reads the variable when it starts, so it is set in the native environment
/// before libtorch loads; a value the user set is kept.
/// </summary>
internal static partial class ReproducibleMath
{
    public const string Variable = "MKL_CBWR";

    /// <summary>Sets <c>MKL_CBWR=AUTO</c> unless it is set; false when the platform has no setenv.</summary>
    public static bool Enable()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try
        {
            // overwrite = 0: a user's own choice (COMPATIBLE for bits across CPU types) wins.
            return SetEnvironment(Variable, "AUTO", 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
