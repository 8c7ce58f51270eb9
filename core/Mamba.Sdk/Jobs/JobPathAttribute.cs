namespace Mamba.Sdk.Jobs;

/// <summary>What a <see cref="JobPathAttribute"/> option must name.</summary>
public enum JobPathKind
{
    /// <summary>An existing file.</summary>
    File,

    /// <summary>An existing folder (a run folder to take weights from, a folder of records).</summary>
    Directory,

    /// <summary>An existing file or folder.</summary>
    FileOrDirectory,
}

/// <summary>
/// Marks a string (or string list) option as an input path, relative to the job file. The host checks that each
/// given path exists before a run starts, and <c>mamba validate</c> does the same, so a missing input is an invalid
/// job (exit 2) naming the key, not a failure halfway through a run. Leave output paths unmarked.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class JobPathAttribute(JobPathKind kind = JobPathKind.File) : Attribute
{
    /// <summary>What the path must name.</summary>
    public JobPathKind Kind { get; } = kind;
}
