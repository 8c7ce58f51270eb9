using System.Text.Json.Nodes;
using Mamba.Host.Commands;
using Mamba.Sdk.Artifacts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mamba.Host.Jobs;

/// <summary>
/// Takes job files from the inbox oldest name first, one at a time. A job is claimed by renaming it to a unique name
/// under <c>processing/</c> (so any number of workers can share an inbox, and a file one of them took is simply gone
/// for the others), then filed under <c>done/</c> or <c>failed/</c> with a <c>.result.json</c> beside it. A job's
/// identity is its content's SHA-256: a returned job resumes only an interrupted run of the same content that no
/// process holds. On shutdown, or on an error of the worker itself, the claimed job goes back to the inbox.
/// </summary>
internal sealed partial class InboxWorker(IOptions<InboxOptions> options, JobRunner runner, ILogger<InboxWorker> logger) : BackgroundService
{
    private const string ResultSuffix = ".result.json";

    private readonly InboxOptions settings = options.Value;

    /// <summary>The error that stopped the worker, if one did; <c>mamba worker</c> then exits non-zero.</summary>
    public Exception? Failure { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WorkAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!(e is OperationCanceledException && stoppingToken.IsCancellationRequested))
        {
            Failure = e;
            LogWorkerFailed(logger, e, e.Message);
            throw;
        }
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        string inbox = Directory.CreateDirectory(settings.Inbox).FullName;
        string processing = Directory.CreateDirectory(Path.Combine(inbox, "processing")).FullName;
        string done = Directory.CreateDirectory(Path.Combine(inbox, "done")).FullName;
        string failed = Directory.CreateDirectory(Path.Combine(inbox, "failed")).FullName;
        LogWatching(logger, inbox);

        while (!stoppingToken.IsCancellationRequested)
        {
            var claim = ClaimNext(inbox, processing);
            if (claim is null)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(settings.PollSeconds), stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }

            try
            {
                LogTaken(logger, claim.Name);
                var outcome = await runner.RunAsync(new JobRequest(claim.ClaimedPath)
                {
                    OutputRoot = settings.OutputRoot,
                    ResumeIfUnfinished = true,
                    DefaultName = Path.GetFileNameWithoutExtension(claim.Name),
                }, stoppingToken).ConfigureAwait(false);

                if (outcome.ExitCode == ExitCodes.Cancelled)
                {
                    Return(claim, inbox);
                    LogReturned(logger, claim.Name);
                    break;
                }
                await FileAsync(claim, outcome, outcome.ExitCode == ExitCodes.Success ? done : failed).ConfigureAwait(false);
            }
            catch
            {
                TryReturn(claim, inbox);
                throw;
            }
        }
    }

    /// <summary>The oldest inbox file, renamed to a name no other worker uses; null when the inbox is empty.</summary>
    private static Claim? ClaimNext(string inbox, string processing)
    {
        foreach (string candidate in Directory.EnumerateFiles(inbox, "*.json").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(candidate);
            string claimed = Path.Combine(processing, $"{Path.GetFileNameWithoutExtension(name)}.{Guid.NewGuid():N}.json");
            try
            {
                File.Move(candidate, claimed, overwrite: false);
                return new Claim(name, candidate, claimed);
            }
            catch (FileNotFoundException)
            {
                // Another worker renamed it first.
            }
        }
        return null;
    }

    private Task FileAsync(Claim claim, JobOutcome outcome, string folder)
    {
        // Two jobs of one name (or one job submitted twice) must not overwrite each other's record: a later one keeps
        // its claim's unique name.
        string target = Path.Combine(folder, claim.Name);
        if (File.Exists(target + ResultSuffix)) target = Path.Combine(folder, Path.GetFileName(claim.ClaimedPath));
        try
        {
            File.Move(claim.ClaimedPath, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            target = Path.Combine(folder, Path.GetFileName(claim.ClaimedPath));
            File.Move(claim.ClaimedPath, target, overwrite: false);
        }
        string folderName = Path.GetFileName(folder);
        LogFiled(logger, claim.Name, folderName, outcome.ExitCode);
        return new ArtifactWriter(folder).WriteJsonAsync(Path.GetFileName(target) + ResultSuffix, new JsonObject
        {
            ["exitCode"] = outcome.ExitCode,
            ["runDirectory"] = outcome.RunDirectory,
            ["error"] = outcome.Error,
        }, CancellationToken.None);
    }

    private void Return(Claim claim, string inbox)
    {
        try
        {
            File.Move(claim.ClaimedPath, claim.InboxPath, overwrite: false);
        }
        catch (IOException) when (File.Exists(claim.InboxPath))
        {
            // A new job of the same name arrived meanwhile; keep both.
            string asideName = Path.GetFileName(claim.ClaimedPath);
            File.Move(claim.ClaimedPath, Path.Combine(inbox, asideName), overwrite: false);
            LogReturnedAside(logger, claim.Name, asideName);
        }
    }

    private void TryReturn(Claim claim, string inbox)
    {
        try
        {
            if (File.Exists(claim.ClaimedPath))
            {
                Return(claim, inbox);
                LogReturnedAfterFailure(logger, claim.Name);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogStranded(logger, claim.ClaimedPath, e.Message);
        }
    }

    /// <summary>A job taken from the inbox: its submitted name, where it came from, and its unique name under processing/.</summary>
    private sealed record Claim(string Name, string InboxPath, string ClaimedPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Inbox} for job files")]
    private static partial void LogWatching(ILogger logger, string inbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Took {Job}")]
    private static partial void LogTaken(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: {Job} goes back to the inbox and resumes from its checkpoint next time")]
    private static partial void LogReturned(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} went back to the inbox as {Name}: a new job of its name arrived meanwhile")]
    private static partial void LogReturnedAside(ILogger logger, string job, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} -> {Folder}/ (exit {ExitCode})")]
    private static partial void LogFiled(ILogger logger, string job, string folder, int exitCode);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The worker stopped on an error: {Error}")]
    private static partial void LogWorkerFailed(ILogger logger, Exception exception, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Job} went back to the inbox")]
    private static partial void LogReturnedAfterFailure(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not return {Claim} to the inbox ({Error}); move it back by hand")]
    private static partial void LogStranded(ILogger logger, string claim, string error);
}
