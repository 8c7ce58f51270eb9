using System.Globalization;
using System.Text.Json;
using Mamba.Sdk.Artifacts;
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
    /// The run to resume: the named one, else the newest of <paramref name="jobName"/> that did not finish and left a
    /// checkpoint. Stale partial files of the interrupted run are removed.
    /// </summary>
    /// <exception cref="JobOptionsException">Nothing to resume.</exception>
    public static RunFolder Resume(string outputRoot, string jobName, string? runId, ShardSpec shard)
    {
        string jobRoot = System.IO.Path.Combine(System.IO.Path.GetFullPath(outputRoot), jobName);
        var candidates = runId is not null
            ? [System.IO.Path.Combine(jobRoot, runId)]
            : Directory.Exists(jobRoot) ? Directory.EnumerateDirectories(jobRoot).OrderDescending(StringComparer.Ordinal).ToList() : [];
        foreach (string path in candidates)
        {
            var folder = new RunFolder(path, shard);
            if (!Directory.Exists(folder.CheckpointDirectory) || folder.Succeeded()) continue;
            foreach (string partial in Directory.EnumerateFiles(path, ArtifactWriter.PartialPrefix + "*", SearchOption.AllDirectories))
                File.Delete(partial);
            return folder;
        }
        throw new JobOptionsException("--resume", $"no unfinished run of '{jobName}' with a checkpoint under {jobRoot}");
    }

    private bool Succeeded()
    {
        string summary = System.IO.Path.Combine(Path, Summary);
        if (!File.Exists(summary)) return false;
        using var document = JsonDocument.Parse(File.ReadAllBytes(summary));
        return document.RootElement.TryGetProperty("status", out var status) && status.GetString() == "succeeded";
    }
}
