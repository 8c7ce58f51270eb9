namespace Mamba.Host.Tests;

/// <summary>
/// The host's promises for runs on a user's own data (docs/reliability.md): run ids and <c>--out</c> are checked
/// before anything is written, a run folder has one writer, resume continues only the same job, only the plugins a
/// job needs load, and every error is one clear line with a documented exit code.
/// </summary>
public sealed class TrustedRunTests : IClassFixture<PluginWorkspace>
{
    /// <summary>Stands for an absolute path in the run-id theory (made unique per case).</summary>
    private const string AbsoluteRunId = "<absolute>";

    private static readonly string ForecastingJobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Forecasting", "jobs");
    private readonly PluginWorkspace workspace;

    public TrustedRunTests(PluginWorkspace workspace)
    {
        this.workspace = workspace;
        workspace.AddVariant("alpha", "2.0.0", "3.0.0-beta", sdk: null);
    }

    private string Runs => Path.Combine(workspace.Root, "runs");

    private string Echo(string name) => workspace.WriteJob(name, "alpha", "echo", new { message = "x" });

    private static string Succeeded((int ExitCode, string Output, string Errors) run)
    {
        Assert.True(run.ExitCode == 0, $"exited {run.ExitCode}: {run.Errors}");
        return PluginWorkspace.RunFolder(run.Output);
    }

    [Theory]
    [InlineData("../../escape")]
    [InlineData(AbsoluteRunId)]
    [InlineData("a/b")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public void A_run_id_that_is_not_one_safe_folder_name_is_refused_before_anything_is_written(string runId)
    {
        string output = Path.Combine(workspace.Root, "ids-" + Guid.NewGuid().ToString("N"));
        string escape = Path.Combine(workspace.Root, "escape-" + Guid.NewGuid().ToString("N"));
        if (runId == AbsoluteRunId) runId = escape;

        var (code, _, errors) = workspace.Mamba("run", Echo("escape"), "--out", output, "--run-id", runId);

        Assert.Equal(2, code);
        Assert.Contains("--run-id:", errors, StringComparison.Ordinal);
        Assert.Contains("is not a run id", errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "nothing may be written under --out");
        Assert.False(Directory.Exists(escape), "nothing may be written at an absolute run id");
    }

    [Fact]
    public void A_run_id_from_the_environment_is_checked_like_the_option()
    {
        string output = Path.Combine(workspace.Root, "env-ids");

        var (code, _, errors) = MambaProcess.RunWith(workspace.Root, new Dictionary<string, string> { ["MAMBA_RUN_ID"] = "../../x" },
            "run", Echo("env-escape"), "--out", output, "--plugins", workspace.Plugins);

        Assert.Equal(2, code);
        Assert.Contains("MAMBA_RUN_ID: '\\.\\./\\.\\./x' is not a run id", errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.False(Directory.Exists(Path.Combine(workspace.Root, "x")));
    }

    [Fact]
    public void An_out_folder_that_cannot_hold_runs_is_exit_2_naming_the_path()
    {
        string file = Path.Combine(workspace.Root, "a-file");
        File.WriteAllText(file, "not a folder");

        foreach (string output in new[] { file, Path.Combine(file, "under"), "/proc/1" })
        {
            var (code, _, errors) = workspace.Mamba("run", Echo("out-check"), "--out", output);

            Assert.True(code == 2, $"--out {output} exited {code}: {errors}");
            Assert.Contains($"--out: cannot write runs under {output}", errors, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_run_folder_has_one_writer_and_resume_continues_only_the_job_that_ran()
    {
        string job = workspace.WriteJob("held", "alpha", "count", new { steps = 300, delayMs = 20 });
        string folder = Path.Combine(Runs, "held", "one");
        using (var first = workspace.Start("run", job, "--out", Runs, "--run-id", "one"))
        {
            first.WaitForError("step 2", TimeSpan.FromMinutes(1));

            var (code, _, errors) = workspace.Mamba("run", job, "--out", Runs, "--run-id", "one");
            Assert.Equal(2, code);
            Assert.Contains($"{folder} is in use by another run (pid {first.Pid} on", errors, StringComparison.Ordinal);

            first.Signal("INT");
            Assert.Equal(130, first.WaitForExit(TimeSpan.FromMinutes(1)));
        }

        var fresh = workspace.Mamba("run", job, "--out", Runs, "--run-id", "one");
        Assert.Equal(2, fresh.ExitCode);
        Assert.Contains("holds an interrupted run (cancelled); continue it with --resume", fresh.Errors, StringComparison.Ordinal);

        var changed = workspace.Mamba("run", job, "--out", Runs, "--run-id", "one", "--resume", "--set", "delayMs=1");
        Assert.Equal(2, changed.ExitCode);
        Assert.Contains("options.delayMs (20 -> 1)", changed.Errors, StringComparison.Ordinal);
        Assert.Equal(20, (int)PluginWorkspace.ReadJson(Path.Combine(folder, "job.json"))["options"]!["delayMs"]!);

        var accepted = workspace.Mamba("run", job, "--out", Runs, "--run-id", "one", "--resume", "--set", "delayMs=1", "--resume-with-changes");
        Assert.True(accepted.ExitCode == 0, accepted.Errors);
        var summary = PluginWorkspace.ReadJson(Path.Combine(folder, "run.json"));
        Assert.Equal("succeeded", (string)summary["status"]!);
        var change = summary["resumeChanges"]!.AsArray().Single()!;
        Assert.Equal("options.delayMs", (string)change["key"]!);
        Assert.Equal("20", (string)change["was"]!);
        Assert.Equal("1", (string)change["now"]!);
        Assert.True((int)PluginWorkspace.ReadJson(Path.Combine(folder, "metrics.json"))["resumedFrom"]! >= 2);
    }

    [Fact]
    public void A_restarted_process_resumes_its_interrupted_run_or_starts_one()
    {
        string job = workspace.WriteJob("restarted", "alpha", "count", new { steps = 40, delayMs = 20 });
        string[] restart = ["run", job, "--out", Runs, "--run-id", "pod-uid", "--resume-if-interrupted"];
        using (var evicted = workspace.Start(restart))
        {
            evicted.WaitForError("step 3", TimeSpan.FromMinutes(1));
            evicted.Signal("TERM");
            Assert.Equal(130, evicted.WaitForExit(TimeSpan.FromMinutes(1)));
        }

        string again = Succeeded(workspace.Mamba(restart));
        string first = Succeeded(workspace.Mamba("run", job, "--out", Runs, "--run-id", "other-uid", "--resume-if-interrupted"));

        Assert.Equal(Path.Combine(Runs, "restarted", "pod-uid"), again);
        Assert.True((int)PluginWorkspace.ReadJson(Path.Combine(again, "metrics.json"))["resumedFrom"]! >= 3);
        Assert.Equal(0, (int)PluginWorkspace.ReadJson(Path.Combine(first, "metrics.json"))["resumedFrom"]!);
    }

    [Fact]
    public void A_resumed_shard_clears_its_own_interrupted_writes_and_no_other_shards()
    {
        // Shard 1 of 11 was interrupted; shard 10 shares the folder and is still writing (".part-1" prefixes ".part-10").
        string job = Echo("sharded");
        string folder = Directory.CreateDirectory(Path.Combine(Runs, "sharded", "eleven")).FullName;
        var (code, printed, errors) = workspace.Mamba("validate", job, "--print");
        Assert.True(code == 0, errors);
        File.WriteAllText(Path.Combine(folder, "job.part-1.json"), printed);
        File.WriteAllText(Path.Combine(folder, "run.part-1.json"), """{ "status": "running" }""");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(folder, "checkpoint.part-1")).FullName, "state"), "x");
        string own = Path.Combine(folder, ".partial-predictions.part-1.parquet-0123456789abcdef0123456789abcdef");
        string other = Path.Combine(folder, ".partial-predictions.part-10.parquet-0123456789abcdef0123456789abcdef");
        File.WriteAllText(own, "torn");
        File.WriteAllText(other, "in flight");

        Succeeded(workspace.Mamba("run", job, "--out", Runs, "--run-id", "eleven", "--shard", "1/11", "--resume"));

        Assert.False(File.Exists(own), "shard 1's torn write must be cleared");
        Assert.True(File.Exists(other), "shard 10's write in flight must be left alone");
    }

    [Fact]
    public void Two_runs_started_together_without_a_run_id_get_two_folders()
    {
        string job = Echo("together");
        using var a = workspace.Start("run", job, "--out", Runs);
        using var b = workspace.Start("run", job, "--out", Runs);

        Assert.Equal(0, a.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, b.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.NotEqual(PluginWorkspace.RunFolder(a.Output), PluginWorkspace.RunFolder(b.Output));
    }

    [Fact]
    public void A_non_finite_result_is_written_as_null_and_named_in_the_log()
    {
        var (code, output, errors) = workspace.Mamba("run", workspace.WriteJob("nan", "alpha@2.0", "nan", new { }), "--out", Runs);

        Assert.True(code == 0, errors);
        var metrics = PluginWorkspace.ReadJson(Path.Combine(PluginWorkspace.RunFolder(output), "metrics.json"));
        Assert.Null(metrics["mse"]);
        Assert.Equal(1.5, (double)metrics["rows"]![0]!);
        Assert.Null(metrics["rows"]![1]);
        Assert.Equal(2.5, (double)metrics["kept"]!);
        Assert.Contains("metrics.json: $.mse = NaN is not a finite number; written as null", errors, StringComparison.Ordinal);
        Assert.Contains("metrics.json: $.rows[1] = Infinity is not a finite number", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unexpected_error_is_one_line_on_the_console_with_its_stack_in_the_run_log()
    {
        string job = workspace.WriteJob("crash", "alpha@2.0", "crash", new { });

        var (code, output, errors) = workspace.Mamba("run", job, "--out", Runs);
        var verbose = workspace.Mamba("run", job, "--out", Runs, "--verbose");

        Assert.Equal(1, code);
        Assert.Contains("crash failed: InvalidOperationException: the crash task always crashes", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
        Assert.Contains("   at ", File.ReadAllText(Path.Combine(PluginWorkspace.RunFolder(output), "run.log")), StringComparison.Ordinal);
        Assert.Contains("   at ", verbose.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_reference_takes_the_highest_release_and_a_prerelease_only_when_named()
    {
        string plain = Succeeded(workspace.Mamba("run", Echo("release"), "--out", Runs));
        string named = Succeeded(workspace.Mamba("run", workspace.WriteJob("prerelease", "alpha@3.0.0-beta", "echo", new { message = "x" }), "--out", Runs));

        Assert.Equal("2.0.0", (string)PluginWorkspace.ReadJson(Path.Combine(plain, "metrics.json"))["pluginVersion"]!);
        Assert.Equal("3.0.0-beta", (string)PluginWorkspace.ReadJson(Path.Combine(named, "metrics.json"))["pluginVersion"]!);
    }

    [Fact]
    public void Plugins_in_the_current_directory_are_not_searched_and_unrelated_plugins_never_load()
    {
        string cwd = Directory.CreateDirectory(Path.Combine(workspace.Root, "cwd")).FullName;
        workspace.AddVariant("alpha", "2.0.0", "9.0.0", sdk: null, searchFolder: Path.Combine(cwd, "plugins"));

        var (code, output, errors) = MambaProcess.Run(cwd, "run", Echo("from-cwd"), "--out", Runs, "--plugins", workspace.Plugins);

        Assert.True(code == 0, errors);
        Assert.Equal("2.0.0", (string)PluginWorkspace.ReadJson(Path.Combine(PluginWorkspace.RunFolder(output), "metrics.json"))["pluginVersion"]!);
        // The faulty plugin's startup throws whenever it runs; an alpha job has no business running it.
        Assert.DoesNotContain("faulty", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_missing_a_private_dependency_is_broken_naming_it_and_its_jobs_exit_3()
    {
        string bundled = Path.Combine(Path.GetDirectoryName(MambaProcess.HostAssembly)!, "plugins", "graphs", "1.0.0");
        string copy = Path.Combine(workspace.Root, "stripped", "graphs", "1.0.0");
        foreach (string file in Directory.EnumerateFiles(bundled, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy, Path.GetRelativePath(bundled, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        File.Delete(Path.Combine(copy, "CsvHelper.dll"));
        string job = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Graphs", "jobs", "karate-train.json");

        var (code, _, errors) = MambaProcess.Run(workspace.Root, "validate", job, "--plugins", Path.Combine(workspace.Root, "stripped"));

        Assert.Equal(3, code);
        Assert.Contains("Mamba.Graphs needs CsvHelper", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data.horizons=[-5]", "options.data.horizons: horizons[0] is -5")]
    [InlineData("data.horizons=[0]", "options.data.horizons: horizons[0] is 0")]
    [InlineData("data.format=nosuch", "nosuch")]
    [InlineData("data.lookback=5000", "options.data.lookback: lookback 5000 does not fit")]
    [InlineData("data.path=missing.csv", "options.data.path: nothing at")]
    public void Validate_makes_the_checks_run_makes_before_its_first_artifact(string assignment, string expected)
    {
        string job = Path.Combine(ForecastingJobs, "weather-evaluate.json");
        string output = Path.Combine(workspace.Root, "validate-" + Guid.NewGuid().ToString("N"));

        var validated = MambaProcess.Run(workspace.Root, "validate", job, "--set", assignment);
        var ran = MambaProcess.Run(workspace.Root, "run", job, "--set", assignment, "--out", output);

        Assert.Equal(2, validated.ExitCode);
        Assert.Contains(expected, validated.Errors, StringComparison.Ordinal);
        Assert.Equal(2, ran.ExitCode);
        Assert.Contains(expected, ran.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output), "a refused run leaves no run folder");
    }

    [Theory]
    [InlineData("Mamba.Graphs/jobs/karate-train.json", "data.labelColumn=faction", 1, "no column 'faction'")]
    [InlineData("Mamba.Genomics/jobs/ct-pretrain.json", "data.sequences=../../Mamba.Graphs/data/karate.nodes.csv", 1, "not FASTA or FASTQ")]
    [InlineData("Mamba.Ecg/jobs/mitdb208-predict.json", "leadSet=12", 2, "options.leadSet")]
    public void Validate_reads_each_plugins_inputs_as_the_run_would(string job, string assignment, int exitCode, string expected)
    {
        // Any existing folder passes the weights path check, so the inputs themselves are what is judged.
        var (code, _, errors) = MambaProcess.Run(workspace.Root, "validate", Path.Combine(MambaProcess.RepositoryRoot, "plugins", job),
            "--set", assignment, "--set", $"model.weights={workspace.Root}");

        Assert.Equal(exitCode, code);
        Assert.Contains(expected, errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_refuses_an_index_job_without_an_encoder_and_a_job_file_without_limit()
    {
        string index = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Retrieval", "jobs", "reuters-index.json");

        var (code, _, errors) = MambaProcess.Run(workspace.Root, "validate", index, "--set", "model.weights=null");
        var endless = MambaProcess.Run(workspace.Root, "validate", "/dev/zero");

        Assert.Equal(2, code);
        Assert.Contains("options.model.weights: name the run folder of a train job", errors, StringComparison.Ordinal);
        Assert.Equal(2, endless.ExitCode);
        Assert.Contains("/dev/zero is larger than 1024 KiB", endless.Errors, StringComparison.Ordinal);
    }
}
