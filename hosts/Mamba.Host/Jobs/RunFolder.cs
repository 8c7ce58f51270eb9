using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mamba.Core.Checkpoints;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>
/// A run's folder, <c>&lt;out&gt;/&lt;job&gt;/&lt;run id&gt;/</c>. The run id is a UTC timestamp unless given (shards
/// of one job share a run id and so a folder; each writes part-named files). Job names and run ids are single safe
/// path segments, so a run can never write outside <c>&lt;out&gt;</c>.
/// </summary>
internal sealed partial class RunFolder
{
    public const string SummaryFile = "run.json", ResolvedJobFile = "job.json", LogFile = "run.log", CheckpointFolder = "checkpoint",
        LockFile = ".lock";

    /// <summary>The file in a job's folder naming its newest successful run; not a run id.</summary>
    public const string LatestLink = "latest";

    /// <summary>How an option names an earlier run instead of a path: <c>run:&lt;job&gt;/&lt;run id&gt;</c> or <c>run:&lt;job&gt;/latest</c>.</summary>
    public const string ReferencePrefix = "run:";

    /// <summary>What a safe run id or job name is, as the docs state it.</summary>
    public const string SafeSegmentRule = "1 to 128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

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

    private string LockPath => System.IO.Path.Combine(Path, Shard.PartName(LockFile));

    /// <summary>Whether <paramref name="segment"/> can name a job or run folder (see <see cref="SafeSegmentRule"/>).</summary>
    public static bool IsSafeSegment(string? segment) => segment is not null && SafeSegment().IsMatch(segment);

    /// <summary>Throws unless <paramref name="runId"/> is a safe run id.</summary>
    /// <exception cref="JobOptionsException">Not a safe path segment (key <paramref name="source"/>).</exception>
    public static void CheckRunId(string runId, string source)
    {
        if (!IsSafeSegment(runId))
            throw new JobOptionsException(source, $"'{Printable(runId)}' is not a run id: a run id is {SafeSegmentRule}");
        if (runId == LatestLink)
            throw new JobOptionsException(source, $"'{LatestLink}' names a job's newest successful run (run:<job>/{LatestLink}); choose another run id");
    }

    /// <summary>
    /// The run folder a <c>run:&lt;job&gt;/&lt;run id&gt;</c> or <c>run:&lt;job&gt;/latest</c> reference names under
    /// <paramref name="outputRoot"/>: a run that succeeded, with links resolved, so a recorded job names that very run.
    /// </summary>
    /// <exception cref="JobOptionsException">Malformed, no such run, or the run has not succeeded (key <paramref name="key"/>).</exception>
    public static string ResolveReference(string outputRoot, string reference, string key)
    {
        string[] parts = reference[ReferencePrefix.Length..].Split('/');
        if (parts.Length is < 1 or > 2 || !parts.All(IsSafeSegment))
            throw new JobOptionsException(key, $"'{Printable(reference)}' is not a run reference: write run:<job>/<run id> or run:<job>/{LatestLink}");
        string job = parts[0], id = parts.Length == 2 ? parts[1] : LatestLink;
        string root = System.IO.Path.GetFullPath(outputRoot);
        string named = System.IO.Path.Combine(root, job, id);
        if (id == LatestLink)
        {
            if (!File.Exists(named))
                throw new JobOptionsException(key, $"{reference}: job '{job}' has no successful run under {root}; run job '{job}' first (with the same --out)");
            string latest = File.ReadAllText(named).Trim();
            if (!IsSafeSegment(latest) || latest == LatestLink)
                throw new JobOptionsException(key, $"{reference}: {named} does not name a run ('{Printable(latest)}')");
            named = System.IO.Path.Combine(root, job, latest);
        }
        if (!Directory.Exists(named))
            throw new JobOptionsException(key, $"{reference}: no run folder {named}; run job '{job}' first (with the same --out)");
        var record = new RunFolder(named, ShardSpec.Whole).ReadSummary();
        if (record?.Status != "succeeded")
            throw new JobOptionsException(key, $"{reference}: the run in {named} has not succeeded ({record?.Status ?? "no run.json"}); use a finished run");
        return named;
    }

    /// <summary>Records this run as the job's newest successful one (<c>latest</c>, replaced atomically).</summary>
    public void MarkLatest() =>
        AtomicFile.WriteAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, LatestLink), System.IO.Path.GetFileName(Path) + "\n");

    /// <summary>
    /// The folder of job <paramref name="jobName"/> under <paramref name="outputRoot"/>, created, so that a bad
    /// <c>--out</c> (a file, under a file, unwritable, a system folder) is reported before anything is written.
    /// </summary>
    /// <exception cref="JobOptionsException">The folder cannot be created or written (key <c>--out</c>).</exception>
    public static string PrepareJobRoot(string outputRoot, string jobName)
    {
        string root = System.IO.Path.GetFullPath(outputRoot);
        string jobRoot = System.IO.Path.Combine(root, jobName);
        try
        {
            Directory.CreateDirectory(jobRoot);
            string probe = System.IO.Path.Combine(jobRoot, $"{AtomicFile.TempPrefix}probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new JobOptionsException("--out", $"cannot write runs under {root}: {e.Message}");
        }
        return jobRoot;
    }

    /// <summary>
    /// A new timestamp-named folder for a fresh run, locked: two runs started in the same second get two folders.
    /// </summary>
    public static RunFolder CreateFresh(string jobRoot, ShardSpec shard, out IDisposable runLock)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        for (int n = 1; n <= 1000; n++)
        {
            var folder = new RunFolder(System.IO.Path.Combine(jobRoot, n == 1 ? stamp : $"{stamp}-{n}"), shard);
            if (Directory.Exists(folder.Path)) continue;
            Directory.CreateDirectory(folder.Path);
            // CreateDirectory succeeds on a folder another process made a moment ago; the lock and an empty folder decide.
            if (folder.TryLock() is not { } taken) continue;
            if (File.Exists(System.IO.Path.Combine(folder.Path, folder.Summary)))
            {
                taken.Dispose();
                continue;
            }
            runLock = taken;
            return folder;
        }
        throw new JobOptionsException("--out", $"no free run folder for {stamp} under {jobRoot} after 1000 tries");
    }

    /// <summary>The run folder <paramref name="runId"/> of a job, whether or not it exists.</summary>
    public static RunFolder Named(string jobRoot, string runId, ShardSpec shard) => new(System.IO.Path.Combine(jobRoot, runId), shard);

    /// <summary>The job's run folders, newest name first.</summary>
    public static IEnumerable<RunFolder> All(string jobRoot, ShardSpec shard) =>
        Directory.Exists(jobRoot)
            ? Directory.EnumerateDirectories(jobRoot).Where(d => IsSafeSegment(System.IO.Path.GetFileName(d)))
                .OrderDescending(StringComparer.Ordinal).Select(d => new RunFolder(d, shard))
            : [];

    /// <summary>
    /// Takes this folder's lock for the run's lifetime (released when the handle is disposed or the process dies).
    /// </summary>
    /// <exception cref="JobOptionsException">Another run holds it; the message names the holder from its summary.</exception>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Path);
        return TryLock() ?? throw new JobOptionsException("--run-id", $"{Path} is in use by another run ({Holder()}); wait for it or choose another run id");
    }

    private FileStream? TryLock()
    {
        try
        {
            // On Unix .NET takes an exclusive flock for FileShare.None; the kernel drops it when the process dies.
            return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>True when another process holds this folder's lock now.</summary>
    public bool IsHeld()
    {
        if (!File.Exists(LockPath)) return false;
        using var probe = TryLock();
        return probe is null;
    }

    /// <summary>What the run's summary says: its status and the job hash it ran; null when it has none or it is unreadable.</summary>
    public RunRecord? ReadSummary()
    {
        string summary = System.IO.Path.Combine(Path, Summary);
        if (!File.Exists(summary)) return null;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(summary));
            var root = document.RootElement;
            string? Text(string key) => root.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new RunRecord(Text("status") ?? "unknown", Text("jobHash"), Text("error"), Text("holder"));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether this run can be resumed: it has a checkpoint, no process holds it, and it was interrupted (cancelled,
    /// or stopped while running: a crash or kill); null when it can, else why not.
    /// </summary>
    public string? WhyNotResumable()
    {
        if (!Directory.Exists(CheckpointDirectory) || !Directory.EnumerateFileSystemEntries(CheckpointDirectory).Any())
            return $"{Path} has no checkpoint to resume from";
        if (IsHeld()) return $"{Path} is still running ({Holder()})";
        var record = ReadSummary();
        return record?.Status switch
        {
            "cancelled" or "running" => null,
            "succeeded" => $"{Path} already succeeded",
            "failed" => $"{Path} failed ({record.Error}); a failed run is not resumed, start a new one",
            _ => $"{Path} has no readable {Summary}",
        };
    }

    /// <summary>
    /// Makes this folder ready to continue in: removes the temporary files of writes the interruption cut short. Only
    /// this shard's: the shards of a job share the folder and may be writing now.
    /// </summary>
    public void ClearInterruptedWrites()
    {
        foreach (string partial in Directory.EnumerateFileSystemEntries(Path, AtomicFile.TempPrefix + "*", SearchOption.AllDirectories).ToList())
        {
            if (!WrittenByThisShard(partial)) continue;
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            else File.Delete(partial);
        }
    }

    /// <summary>Whether a leftover temporary file belongs to this shard: it is in its checkpoint folder, or was for one of its part-named files.</summary>
    private bool WrittenByThisShard(string partial)
    {
        if (Shard.IsSingle || partial.StartsWith(CheckpointDirectory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)) return true;
        // ".part-1" must end a name segment, or shard 1 would claim shard 10's files.
        string tag = Shard.PartName("");
        return AtomicFile.TargetOf(partial) is { } target && (target.EndsWith(tag, StringComparison.Ordinal) || target.Contains(tag + ".", StringComparison.Ordinal));
    }

    private string Holder() => ReadSummary()?.Holder ?? "holder unknown";

    private static string Printable(string text) => Regex.Escape(text.Length > 80 ? text[..80] + "…" : text);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeSegment();
}

/// <summary>What a run folder's summary says about the run.</summary>
/// <param name="Status">running, succeeded, failed or cancelled.</param>
/// <param name="JobHash">SHA-256 of the job file and its overrides, as submitted.</param>
/// <param name="Error">The failure, when it failed.</param>
/// <param name="Holder">The process that ran it: pid, machine and start time.</param>
internal sealed record RunRecord(string Status, string? JobHash, string? Error, string? Holder);
