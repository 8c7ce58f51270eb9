using System.Diagnostics;
using System.Text.Json.Nodes;
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

    /// <summary>Continue the newest unfinished run (<c>--resume</c>); an error when there is none.</summary>
    public bool Resume { get; init; }

    /// <summary>Continue an unfinished run when there is one, else start afresh (the worker, picking up a returned job).</summary>
    public bool ResumeIfUnfinished { get; init; }

    public string? RunId { get; init; }
}

/// <summary>The outcome of a job: its exit code and, when it ran, its folder.</summary>
internal sealed record JobOutcome(int ExitCode, string? RunDirectory, string? Error);

/// <summary>
/// Takes a job from file to artifacts: parse, resolve the plugin, bind and validate options, then run the task in its
/// own run folder with a log, progress, cancellation and a summary that records success or the failure.
/// </summary>
internal sealed partial class JobRunner(PluginCatalog plugins, ILoggerFactory loggerFactory, RunLog runLog, TerminalProgress progress)
{
    private readonly ILogger logger = loggerFactory.CreateLogger<JobRunner>();

    /// <summary>Checks a job without running it.</summary>
    public JobOutcome Validate(JobRequest request)
    {
        try
        {
            using var prepared = Prepare(request);
            LogValid(logger, request.JobPath, prepared.Entry, prepared.Job.Task);
            return new JobOutcome(ExitCodes.Success, null, null);
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
            var unfinished = request.Resume || request.ResumeIfUnfinished
                ? RunFolder.FindUnfinished(request.OutputRoot, prepared.Job.Name, request.RunId, request.Shard)
                : null;
            if (request.Resume && unfinished is null)
            {
                string error = $"--resume: no unfinished run of '{prepared.Job.Name}' with a checkpoint under {Path.Combine(Path.GetFullPath(request.OutputRoot), prepared.Job.Name)}";
                LogRejected(logger, error);
                return new JobOutcome(ExitCodes.InvalidJob, null, error);
            }
            var folder = unfinished?.ClearInterruptedWrites() ?? RunFolder.Create(request.OutputRoot, prepared.Job.Name, request.RunId, request.Shard);
            return await RunInFolderAsync(prepared, folder, resuming: unfinished is not null, request, cancellation).ConfigureAwait(false);
        }
    }

    private async Task<JobOutcome> RunInFolderAsync(Prepared prepared, RunFolder folder, bool resuming, JobRequest request, CancellationToken cancellation)
    {
        using var log = runLog.Attach(folder.Log);
        var artifacts = new ArtifactWriter(folder.Path);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        LogStarting(logger, prepared.Job.Name, prepared.Entry, prepared.Job.Task, folder.Path, request.Shard, resuming);

        int exitCode;
        string? error = null;
        try
        {
            await artifacts.WriteJsonAsync(folder.ResolvedJob, prepared.Job.Resolved(prepared.Entry.ToString(), OptionsBinder.ToJson(prepared.Options)), CancellationToken.None).ConfigureAwait(false);
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
                    Logger = loggerFactory.CreateLogger($"{prepared.Entry.Id}.{prepared.Job.Task}"),
                    Progress = bars,
                };
                // Tasks are mostly synchronous numeric work; keep it off the caller's thread so bars and signals stay live.
                await Task.Run(() => prepared.Task.RunAsync(context, prepared.Options, cancellation), cancellation).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            exitCode = ExitCodes.Success;
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
        var summary = new JsonObject
        {
            ["status"] = status,
            ["exitCode"] = exitCode,
            ["error"] = error,
            ["job"] = prepared.Job.Path,
            ["plugin"] = prepared.Entry.ToString(),
            ["task"] = prepared.Job.Task,
            ["shard"] = request.Shard.ToString(),
            ["resumed"] = resuming,
            ["started"] = started.ToString("O"),
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 2),
            ["artifacts"] = new JsonArray([.. artifacts.Written.Select(a => JsonValue.Create(a))]),
        };
        await artifacts.WriteJsonAsync(folder.Summary, summary, CancellationToken.None).ConfigureAwait(false);
        LogFinished(logger, prepared.Job.Name, status, exitCode, clock.Elapsed.TotalSeconds, folder.Path);
        return new JobOutcome(exitCode, folder.Path, error);
    }

    private Prepared Prepare(JobRequest request)
    {
        var job = JobFile.Load(request.JobPath, request.Overrides);
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
        DataFormatException => ExitCodes.JobFailed,
        _ => null,
    };

    private sealed record Prepared(JobFile Job, PluginEntry Entry, ExportCatalog Exports, IJobTask Task, object Options) : IDisposable
    {
        public void Dispose() => Exports.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} is valid: {Plugin} task {Task}")]
    private static partial void LogValid(ILogger logger, string job, PluginEntry plugin, string task);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Error}")]
    private static partial void LogRejected(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running {Job} with {Plugin} task {Task} in {Folder} (shard {Shard}, resume {Resume})")]
    private static partial void LogStarting(ILogger logger, string job, PluginEntry plugin, string task, string folder, ShardSpec shard, bool resume);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} {Status} (exit {ExitCode}) after {Seconds:F1} s; artifacts in {Folder}")]
    private static partial void LogFinished(ILogger logger, string job, string status, int exitCode, double seconds, string folder);
}
