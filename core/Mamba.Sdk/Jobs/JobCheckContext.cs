using Mamba.Sdk.Exports;

namespace Mamba.Sdk.Jobs;

/// <summary>
/// What a task's <see cref="IJobTask.Check"/> gets: enough to look at its inputs (files, readers) before a run starts.
/// Nothing is written: no run folder exists yet. A running task's <see cref="JobContext"/> is one of these too.
/// </summary>
public class JobCheckContext
{
    /// <summary>The job's name (its file name unless the job sets one).</summary>
    public required string JobName { get; init; }

    /// <summary>The folder holding the job file; relative paths in options resolve against it.</summary>
    public required string JobDirectory { get; init; }

    /// <summary>The exports of the plugins the job composes (readers by format or extension, metrics, models).</summary>
    public required IExportCatalog Exports { get; init; }

    /// <summary>An absolute path for <paramref name="path"/>, relative ones taken from the job file's folder.</summary>
    public string ResolvePath(string path) => Path.GetFullPath(path, JobDirectory);
}
