using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Core.Training;
using Mamba.Host.Plugins;
using Mamba.Host.Terminal;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.Logging;

namespace Mamba.Host.Jobs;

/// <summary>What <c>mamba run</c> / <c>validate</c> / the worker ask for.</summary>
internal sealed record JobRequest(string JobPath)
{
    public IReadOnlyList<string> Overrides { get; init; } = [];

    public string OutputRoot { get; init; } = "runs";

    public ShardSpec Shard { get; init; } = ShardSpec.Whole;

    /// <summary>Continue the newest interrupted run (<c>--resume</c>); an error when there is none.</summary>
    public bool Resume { get; init; }

    /// <summary>With <see cref="Resume"/>: accept options that differ from the run's, recording them (<c>--resume-with-changes</c>).</summary>
    public bool AcceptChanges { get; init; }

    /// <summary>
    /// Continue an interrupted run of the same job content (the <see cref="RunId"/> one, else the newest) when there is
    /// one, else start afresh: the worker picking up a returned job, a restarted pod (<c>--resume-if-interrupted</c>).
    /// </summary>
    public bool ResumeIfUnfinished { get; init; }

    public string? RunId { get; init; }

    /// <summary>The job's name when its file sets none (default: the file name); the worker keeps the submitted name this way.</summary>
    public string? DefaultName { get; init; }
}

/// <summary>The outcome of a job: its exit code and, when it ran, its folder.</summary>
internal sealed record JobOutcome(int ExitCode, string? RunDirectory, string? Error)
{
    /// <summary>From <c>validate</c>: the job as a run would record it in <c>job.json</c>.</summary>
    public JsonObject? ResolvedJob { get; init; }
}

/// <summary>
/// Takes a job from file to artifacts: parse, resolve the plugin, bind and validate options, then run the task in its
/// own run folder with a log, progress, cancellation and a summary that records success or the failure.
/// </summary>
internal sealed partial class JobRunner(PluginCatalog plugins, ILoggerFactory loggerFactory, RunLog runLog, TerminalProgress progress)
{
    private readonly ILogger logger = loggerFactory.CreateLogger<JobRunner>();

    /// <summary>Checks a job without running it: every check <see cref="RunAsync"/> makes before its run folder exists.</summary>
    public JobOutcome Validate(JobRequest request)
    {
        try
        {
            using var prepared = Prepare(request);
            LogValid(logger, request.JobPath, prepared.Entry, prepared.Job.Task);
            return new JobOutcome(ExitCodes.Success, null, null) { ResolvedJob = prepared.Resolved() };
        }
        catch (Exception e) when (Classify(e) is { } code)
        {
            LogRejected(logger, e.Message);
            return new JobOutcome(code, null, e.Message);
        }
    }

    /// <summary>Runs a job to completion, failure or cancellation.</summary>
    public async Task<JobOutcome> RunAsync(JobRequest request, CancellationToken cancellation)
    {
        Prepared prepared;
        try
        {
            prepared = Prepare(request);
        }
        catch (Exception e) when (Classify(e) is { } code)
        {
            LogRejected(logger, e.Message);
            return new JobOutcome(code, null, e.Message);
        }

        using (prepared)
        {
            RunFolder folder;
            IDisposable runLock;
            bool resuming;
            IReadOnlyList<OptionChange> changes = [];
            try
            {
                string jobRoot = RunFolder.PrepareJobRoot(request.OutputRoot, prepared.Job.Name);
                (folder, runLock, resuming) = Claim(request, prepared, jobRoot);
                try
                {
                    if (resuming) changes = CheckResumable(folder, prepared, request.AcceptChanges);
                    folder.ClearInterruptedWrites();
                }
                catch
                {
                    runLock.Dispose();
                    throw;
                }
            }
            catch (JobOptionsException e)
            {
                LogRejected(logger, e.Message);
                return new JobOutcome(ExitCodes.InvalidJob, null, e.Message);
            }
            using (runLock)
                return await RunInFolderAsync(prepared, folder, resuming, changes, request, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The folder this request runs in, locked, and whether it continues an interrupted run there.</summary>
    private (RunFolder Folder, IDisposable Lock, bool Resuming) Claim(JobRequest request, Prepared prepared, string jobRoot)
    {
        if (request.Resume)
        {
            var candidates = request.RunId is { } id ? [RunFolder.Named(jobRoot, id, request.Shard)] : RunFolder.All(jobRoot, request.Shard).ToList();
            var reasons = new List<string>();
            foreach (var candidate in candidates)
            {
                if (candidate.WhyNotResumable() is { } why)
                {
                    reasons.Add(why);
                    continue;
                }
                return (candidate, candidate.Lock(), true);
            }
            throw new JobOptionsException("--resume",
                $"no interrupted run of '{prepared.Job.Name}' to resume under {jobRoot}" + (reasons.Count > 0 ? $": {string.Join("; ", reasons.Take(3))}" : ""));
        }
        if (request.ResumeIfUnfinished)
        {
            var candidates = request.RunId is { } named ? [RunFolder.Named(jobRoot, named, request.Shard)] : RunFolder.All(jobRoot, request.Shard);
            foreach (var candidate in candidates)
            {
                if (candidate.ReadSummary()?.JobHash != prepared.Job.Hash || candidate.WhyNotResumable() is not null) continue;
                // Another worker may take the same interrupted run between the look and the lock; then start afresh.
                try
                {
                    return (candidate, candidate.Lock(), true);
                }
                catch (JobOptionsException)
                {
                    break;
                }
            }
        }
        if (request.RunId is { } runId)
        {
            var named = RunFolder.Named(jobRoot, runId, request.Shard);
            var taken = named.Lock();
            var previous = named.ReadSummary();
            if (previous?.Status is "running" or "cancelled")
            {
                taken.Dispose();
                throw new JobOptionsException("--run-id",
                    $"{named.Path} holds an interrupted run ({previous.Status}); continue it with --resume, or remove the folder to start over");
            }
            if (Directory.Exists(named.CheckpointDirectory))
            {
                // A finished run's checkpoint would make the new run resume from it instead of starting afresh.
                LogReplacing(logger, named.Path, previous?.Status ?? "unknown");
                Directory.Delete(named.CheckpointDirectory, recursive: true);
            }
            return (named, taken, false);
        }
        var fresh = RunFolder.CreateFresh(jobRoot, request.Shard, out var freshLock);
        return (fresh, freshLock, false);
    }

    /// <summary>
    /// The options that differ between the run being resumed and this job; none unless <paramref name="acceptChanges"/>.
    /// </summary>
    /// <exception cref="JobOptionsException">They differ and changes were not accepted: the keys are named.</exception>
    private static List<OptionChange> CheckResumable(RunFolder folder, Prepared prepared, bool acceptChanges)
    {
        string recordedPath = Path.Combine(folder.Path, folder.ResolvedJob);
        JsonObject recorded;
        try
        {
            recorded = JsonNode.Parse(File.ReadAllText(recordedPath)) as JsonObject
                ?? throw new JobOptionsException("--resume", $"{recordedPath} is not a JSON object; the run's options are unknown, so it cannot be resumed");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new JobOptionsException("--resume", $"{recordedPath} cannot be read ({e.Message}); the run's options are unknown, so it cannot be resumed");
        }
        var now = prepared.Resolved();
        var changes = OptionChange.Between(recorded, now);
        if (changes.Count > 0 && !acceptChanges)
            throw new JobOptionsException("--resume",
                $"the job differs from the run in {folder.Path} at {string.Join(", ", changes.Select(c => $"{c.Key} ({c.Was} -> {c.Now})"))}; " +
                "resume with the job it ran, or pass --resume-with-changes to continue with these (recorded in run.json)");
        return changes;
    }

    private async Task<JobOutcome> RunInFolderAsync(
        Prepared prepared, RunFolder folder, bool resuming, IReadOnlyList<OptionChange> changes, JobRequest request, CancellationToken cancellation)
    {
        using var log = runLog.Attach(folder.Log);
        var taskLogger = loggerFactory.CreateLogger($"{prepared.Entry.Id}.{prepared.Job.Task}");
        var artifacts = new ArtifactWriter(folder.Path, taskLogger);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        LogStarting(logger, prepared.Job.Name, prepared.Entry, prepared.Job.Task, folder.Path, request.Shard, resuming);
        foreach (var change in changes) LogResumedWithChange(logger, change.Key, change.Was, change.Now);

        JsonObject Summary(string status, int? exitCode, string? error) => new()
        {
            ["status"] = status,
            ["exitCode"] = exitCode,
            ["error"] = error,
            ["job"] = prepared.Job.Path,
            ["jobHash"] = prepared.Job.Hash,
            ["plugin"] = prepared.Entry.ToString(),
            ["task"] = prepared.Job.Task,
            ["shard"] = request.Shard.ToString(),
            ["resumed"] = resuming,
            ["resumeChanges"] = changes.Count == 0 ? null : new JsonArray([.. changes.Select(c => (JsonNode)new JsonObject { ["key"] = c.Key, ["was"] = c.Was, ["now"] = c.Now })]),
            ["holder"] = $"pid {Environment.ProcessId} on {Environment.MachineName} since {started:O}",
            ["started"] = started.ToString("O"),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
            ["artifacts"] = new JsonArray([.. artifacts.Written.Select(a => JsonValue.Create(a))]),
        };

        int exitCode;
        string? error = null;
        try
        {
            // Recorded first: a run killed from here on is seen as interrupted (running, lock released), not as finished.
            await artifacts.WriteJsonAsync(folder.Summary, Summary("running", null, null), CancellationToken.None).ConfigureAwait(false);
            await artifacts.WriteJsonAsync(folder.ResolvedJob, prepared.Resolved(), CancellationToken.None).ConfigureAwait(false);
            string checkpoints = Directory.CreateDirectory(folder.CheckpointDirectory).FullName;
            await progress.RunAsync(async bars =>
            {
                var context = new JobContext
                {
                    JobName = prepared.Job.Name,
                    Plugin = new PluginIdentity(prepared.Entry.Id, prepared.Entry.VersionText),
                    JobDirectory = prepared.Job.Directory,
                    Artifacts = artifacts,
                    CheckpointDirectory = checkpoints,
                    Resume = resuming,
                    Shard = request.Shard,
                    Exports = prepared.Exports,
                    Services = prepared.Exports.Services!,
                    Logger = taskLogger,
                    Progress = bars,
                };
                // Tasks are mostly synchronous numeric work; keep it off the caller's thread so bars and signals stay live.
                await Task.Run(async () =>
                {
                    using var kernels = prepared.Exports.ScanKernels.Use();
                    await prepared.Task.RunAsync(context, prepared.Options, cancellation).ConfigureAwait(false);
                }, cancellation).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            exitCode = ExitCodes.Success;
            // Shards finish one by one; a reference to a sharded job names its run id instead.
            if (request.Shard.IsSingle) folder.MarkLatest();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            exitCode = ExitCodes.Cancelled;
            error = "cancelled; resume with --resume";
        }
        catch (Exception e) when (Classify(e) is { } code)
        {
            exitCode = code;
            error = e.Message;
            LogFailed(logger, e, prepared.Job.Name, e.Message);
        }
        catch (Exception e)
        {
            exitCode = ExitCodes.JobFailed;
            error = $"{e.GetType().Name}: {e.Message}";
            LogFailed(logger, e, prepared.Job.Name, error);
        }

        string status = exitCode switch { ExitCodes.Success => "succeeded", ExitCodes.Cancelled => "cancelled", _ => "failed" };
        var summary = Summary(status, exitCode, error);
        await artifacts.WriteJsonAsync(folder.Summary, summary, CancellationToken.None).ConfigureAwait(false);
        LogFinished(logger, prepared.Job.Name, status, exitCode, clock.Elapsed.TotalSeconds, folder.Path);
        return new JobOutcome(exitCode, folder.Path, error);
    }

    private Prepared Prepare(JobRequest request)
    {
        var job = JobFile.Load(request.JobPath, request.Overrides, request.DefaultName);
        PluginReference reference;
        try
        {
            reference = PluginReference.Parse(job.Plugin);
        }
        catch (FormatException e)
        {
            throw new JobOptionsException("plugin", e.Message);
        }
        var entry = plugins.Resolve(reference);
        var exports = plugins.Compose(entry, loggerFactory);
        try
        {
            var tasks = exports.All.Where(e => e.Contract == typeof(IJobTask) && e.PluginId == entry.Id).ToList();
            var info = tasks.FirstOrDefault(t => string.Equals(t.Name, job.Task, StringComparison.Ordinal))
                ?? throw new JobOptionsException("task", $"plugin {entry} has no task '{job.Task}'; its tasks: {string.Join(", ", tasks.Select(t => t.Name))}");
            var task = exports.Get<IJobTask>().First(e => e.Info == info).Value;
            var options = OptionsBinder.Bind(job.Options, task.OptionsType);
            OptionsBinder.ResolvePaths(options, job.Directory, request.OutputRoot);
            task.Check(new JobCheckContext { JobName = job.Name, JobDirectory = job.Directory, Exports = exports }, options);
            return new Prepared(job, entry, exports, task, options);
        }
        catch
        {
            exports.Dispose();
            throw;
        }
    }

    /// <summary>The exit code for an expected failure; null for a bug, which is reported with its stack.</summary>
    private static int? Classify(Exception e) => e switch
    {
        JobOptionsException or ExportNotFoundException => ExitCodes.InvalidJob,
        PluginUnavailableException => ExitCodes.PluginUnavailable,
        DataFormatException or SafetensorsFormatException or CheckpointMismatchException or TrainingDivergedException => ExitCodes.JobFailed,
        _ => null,
    };

    private sealed record Prepared(JobFile Job, PluginEntry Entry, ExportCatalog Exports, IJobTask Task, object Options) : IDisposable
    {
        /// <summary>The job as it runs: the plugin pinned, every option with its default.</summary>
        public JsonObject Resolved() => Job.Resolved(Entry.ToString(), OptionsBinder.ToJson(Options));

        public void Dispose() => Exports.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} is valid: {Plugin} task {Task}")]
    private static partial void LogValid(ILogger logger, string job, PluginEntry plugin, string task);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogRejected(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running {Job} with {Plugin} task {Task} in {Folder} (shard {Shard}, resume {Resume})")]
    private static partial void LogStarting(ILogger logger, string job, PluginEntry plugin, string task, string folder, ShardSpec shard, bool resume);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming with a changed option: {Key} was {Was}, now {Now}")]
    private static partial void LogResumedWithChange(ILogger logger, string key, string was, string now);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replacing the finished run in {Folder} ({Status}); its checkpoint is removed")]
    private static partial void LogReplacing(ILogger logger, string folder, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} {Status} (exit {ExitCode}) after {Seconds:F1} s; artifacts in {Folder}")]
    private static partial void LogFinished(ILogger logger, string job, string status, int exitCode, double seconds, string folder);
}
