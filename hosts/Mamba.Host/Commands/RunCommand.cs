using System.CommandLine;
using Mamba.Host.Jobs;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Mamba.Host.Commands;

/// <summary><c>mamba run JOB</c> and <c>mamba validate JOB</c>.</summary>
internal static class RunCommand
{
    private static readonly Argument<string> Job = new("job") { Description = "The job file (JSON)." };

    private static readonly Option<bool> Print = new("--print")
    {
        Description = "Print the job as a run would record it (job.json): the plugin pinned, every option with its default.",
    };

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Where runs go, and where <c>run:&lt;job&gt;/latest</c> references in options are looked up.</summary>
    private static Option<string> Output() => new("--out")
    {
        Description = "Root folder for runs: <out>/<job>/<run id>/; run:<job>/latest references in options are found there.",
        DefaultValueFactory = _ => "runs",
    };

    private static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override a job value: key.path=value (e.g. options.training.epochs=3; JSON values, else strings). Repeatable.",
    };

    public static Command Create(CancellationToken cancellation)
    {
        var output = Output();
        var shard = new Option<string?>("--shard") { Description = "Process only shard i of N (i/N); defaults to a Kubernetes Indexed Job's JOB_COMPLETION_INDEX/JOB_COMPLETIONS." };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue the newest interrupted run of this job (or the --run-id one) from its checkpoint; its options must match.",
        };
        var resumeIfInterrupted = new Option<bool>("--resume-if-interrupted")
        {
            Description = "Continue an interrupted run of this same job (the --run-id one, or the newest) when there is one, else start afresh: for restarted pods.",
        };
        var resumeWithChanges = new Option<bool>("--resume-with-changes")
        {
            Description = "With --resume: accept options that differ from the run's; the changes are recorded in run.json.",
        };
        var runId = new Option<string?>("--run-id")
        {
            Description = $"Name the run folder (default: a UTC timestamp; MAMBA_RUN_ID): {RunFolder.SafeSegmentRule}. Shards of one job must share it.",
        };
        var run = new Command("run", "Run a job: train, evaluate, predict… Exit codes: 0 ok, 1 job failed, 2 invalid job, 3 plugin unavailable, 130 cancelled.")
        {
            Job, Set, output, shard, resume, resumeIfInterrupted, resumeWithChanges, runId,
        };
        run.SetAction(async (result, _) =>
        {
            ShardSpec spec;
            string? id = result.GetValue(runId);
            string idSource = "--run-id";
            if (id is null && Environment.GetEnvironmentVariable("MAMBA_RUN_ID") is { } fromEnvironment)
                (id, idSource) = (fromEnvironment, "MAMBA_RUN_ID");
            try
            {
                if (id is not null) RunFolder.CheckRunId(id, idSource);
                if (result.GetValue(resumeWithChanges) && !result.GetValue(resume))
                    throw new JobOptionsException("--resume-with-changes", "only goes with --resume");
                if (result.GetValue(resumeIfInterrupted) && result.GetValue(resume))
                    throw new JobOptionsException("--resume-if-interrupted", "give --resume (a run must exist) or --resume-if-interrupted (resume or start), not both");
            }
            catch (JobOptionsException e)
            {
                Console.Error.WriteLine(e.Message);
                return ExitCodes.InvalidJob;
            }
            try
            {
                spec = ShardFrom(result.GetValue(shard));
                if (!spec.IsSingle && id is null) throw new FormatException("the shards of one job must share a run folder: give --run-id (or MAMBA_RUN_ID).");
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"--shard: {e.Message}");
                return ExitCodes.InvalidJob;
            }
            using var host = MambaHost.Build(result);
            var outcome = await host.Services.GetRequiredService<JobRunner>().RunAsync(new JobRequest(result.GetValue(Job)!)
            {
                Overrides = result.GetValue(Set) ?? [],
                OutputRoot = result.GetValue(output)!,
                Shard = spec,
                Resume = result.GetValue(resume),
                AcceptChanges = result.GetValue(resumeWithChanges),
                ResumeIfUnfinished = result.GetValue(resumeIfInterrupted),
                RunId = id,
            }, cancellation).ConfigureAwait(false);
            if (outcome.RunDirectory is not null) Console.Out.WriteLine(outcome.RunDirectory);
            return outcome.ExitCode;
        });
        return run;
    }

    public static Command CreateValidate()
    {
        var output = Output();
        var validate = new Command("validate",
            "Check a job without running it: every check run makes before it writes anything (file, plugin, task, options, input files and their contents). Exit 0, 1 (unusable data), 2 or 3.")
        {
            Job, Set, Print, output,
        };
        validate.SetAction(result =>
        {
            using var host = MambaHost.Build(result);
            var outcome = host.Services.GetRequiredService<JobRunner>().Validate(new JobRequest(result.GetValue(Job)!) { Overrides = result.GetValue(Set) ?? [], OutputRoot = result.GetValue(output)! });
            if (result.GetValue(Print) && outcome.ResolvedJob is { } resolved) Console.Out.WriteLine(resolved.ToJsonString(Indented));
            return outcome.ExitCode;
        });
        return validate;
    }

    private static ShardSpec ShardFrom(string? option)
    {
        if (option is not null) return ShardSpec.Parse(option);
        string? index = Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX");
        if (index is null) return ShardSpec.Whole;
        string count = Environment.GetEnvironmentVariable("JOB_COMPLETIONS")
            ?? throw new FormatException("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not; pass the Job's completions in the pod's environment.");
        return ShardSpec.Parse($"{index}/{count}");
    }
}
