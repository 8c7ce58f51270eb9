using System.Text.Json.Nodes;
using Mamba.Host.Commands;
using Mamba.Sdk.Artifacts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mamba.Host.Jobs;

/// <summary>
/// Takes job files from the inbox oldest name first, one at a time: <c>processing/</c> while it runs, then
/// <c>done/</c> or <c>failed/</c> with a <c>.result.json</c> beside it. On shutdown the running job is cancelled (it
/// checkpoints) and its file goes back to the inbox, to be resumed by the next worker.
/// </summary>
internal sealed partial class InboxWorker(IOptions<InboxOptions> options, JobRunner runner, ILogger<InboxWorker> logger) : BackgroundService
{
    private readonly InboxOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string inbox = Directory.CreateDirectory(settings.Inbox).FullName;
        string processing = Directory.CreateDirectory(Path.Combine(inbox, "processing")).FullName;
        string done = Directory.CreateDirectory(Path.Combine(inbox, "done")).FullName;
        string failed = Directory.CreateDirectory(Path.Combine(inbox, "failed")).FullName;
        LogWatching(logger, inbox);

        while (!stoppingToken.IsCancellationRequested)
        {
            string? next = Directory.EnumerateFiles(inbox, "*.json").Order(StringComparer.Ordinal).FirstOrDefault();
            if (next is null)
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

            string name = Path.GetFileName(next);
            string claimed = Path.Combine(processing, name);
            File.Move(next, claimed, overwrite: true);
            LogTaken(logger, name);
            var outcome = await runner.RunAsync(new JobRequest(claimed) { OutputRoot = settings.OutputRoot, ResumeIfUnfinished = true }, stoppingToken).ConfigureAwait(false);

            if (outcome.ExitCode == ExitCodes.Cancelled)
            {
                File.Move(claimed, next, overwrite: true);
                LogReturned(logger, name);
                break;
            }
            string target = outcome.ExitCode == ExitCodes.Success ? done : failed;
            await new ArtifactWriter(target).WriteJsonAsync(name + ".result.json", new JsonObject
            {
                ["exitCode"] = outcome.ExitCode,
                ["runDirectory"] = outcome.RunDirectory,
                ["error"] = outcome.Error,
            }, CancellationToken.None).ConfigureAwait(false);
            File.Move(claimed, Path.Combine(target, name), overwrite: true);
            string folder = Path.GetFileName(target);
            LogFiled(logger, name, folder, outcome.ExitCode);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Inbox} for job files")]
    private static partial void LogWatching(ILogger logger, string inbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "Took {Job}")]
    private static partial void LogTaken(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: {Job} goes back to the inbox and resumes from its checkpoint next time")]
    private static partial void LogReturned(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Job} -> {Folder}/ (exit {ExitCode})")]
    private static partial void LogFiled(ILogger logger, string job, string folder, int exitCode);
}
