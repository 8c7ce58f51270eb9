namespace Mamba.Host;

/// <summary>The documented exit codes of <c>mamba</c> (docs/host.md).</summary>
internal static class ExitCodes
{
    /// <summary>The command or job succeeded.</summary>
    public const int Success = 0;

    /// <summary>The job ran and failed (bad data, a failing task); the run folder holds the failure record.</summary>
    public const int JobFailed = 1;

    /// <summary>The job file or the arguments are invalid; the message names the key path.</summary>
    public const int InvalidJob = 2;

    /// <summary>The plugin the job needs is missing, incompatible or broken.</summary>
    public const int PluginUnavailable = 3;

    /// <summary>Cancelled by Ctrl-C or SIGTERM (128 + SIGINT); a checkpoint was written where the task keeps one.</summary>
    public const int Cancelled = 130;
}
