using System.Globalization;
using System.Text.Json;
using Mamba.Core.Checkpoints;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>
/// A run's folder, <c>&lt;out&gt;/&lt;job&gt;/&lt;run id&gt;/</c>. The run id is a UTC timestamp unless given (shards
/// of one job share a run id and so a folder; each writes part-named files).
/// </summary>
internal sealed class RunFolder
{
    public const string SummaryFile = "run.json", ResolvedJobFile = "job.json", LogFile = "run.log", CheckpointFolder = "checkpoint";

    private RunFolder(string path, ShardSpec shard)
    {
        Path = path;
        Shard = shard;
    }

    public string Path { get; }

    public ShardSpec Shard { get; }

    public string CheckpointDirectory => System.IO.Path.Combine(Path, Shard.PartName(CheckpointFolder));

    public string Summary => Shard.PartName(SummaryFile);

    public string ResolvedJob => Shard.PartName(ResolvedJobFile);

    public string Log => System.IO.Path.Combine(Path, Shard.PartName(LogFile));

    /// <summary>A new folder for a fresh run (or the named one, which shards of a job share).</summary>
    public static RunFolder Create(string outputRoot, string jobName, string? runId, ShardSpec shard)
    {
        string jobRoot = System.IO.Path.Combine(System.IO.Path.GetFullPath(outputRoot), jobName);
        string path;
        if (runId is not null)
        {
            path = System.IO.Path.Combine(jobRoot, runId);
        }
        else
        {
            string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
            path = System.IO.Path.Combine(jobRoot, stamp);
            for (int n = 2; Directory.Exists(path); n++) path = System.IO.Path.Combine(jobRoot, $"{stamp}-{n}");
        }
        Directory.CreateDirectory(path);
        return new RunFolder(path, shard);
    }

    /// <summary>
    /// The run a resume continues: the named one, else the newest of <paramref name="jobName"/> that did not finish
    /// and left a checkpoint; null when there is none. Only looks.
    /// </summary>
    public static RunFolder? FindUnfinished(string outputRoot, string jobName, string? runId, ShardSpec shard)
    {
        string jobRoot = System.IO.Path.Combine(System.IO.Path.GetFullPath(outputRoot), jobName);
        var candidates = runId is not null
            ? [System.IO.Path.Combine(jobRoot, runId)]
            : Directory.Exists(jobRoot) ? Directory.EnumerateDirectories(jobRoot).OrderDescending(StringComparer.Ordinal).ToList() : [];
        return candidates.Select(path => new RunFolder(path, shard))
            .FirstOrDefault(folder => Directory.Exists(folder.CheckpointDirectory) && !folder.Succeeded());
    }

    /// <summary>Makes this folder ready to continue in: removes the temporary files of writes the interruption cut short.</summary>
    public RunFolder ClearInterruptedWrites()
    {
        foreach (string partial in Directory.EnumerateFiles(Path, AtomicFile.TempPrefix + "*", SearchOption.AllDirectories))
            File.Delete(partial);
        return this;
    }

    private bool Succeeded()
    {
        string summary = System.IO.Path.Combine(Path, Summary);
        if (!File.Exists(summary)) return false;
        using var document = JsonDocument.Parse(File.ReadAllBytes(summary));
        return document.RootElement.TryGetProperty("status", out var status) && status.GetString() == "succeeded";
    }
}
