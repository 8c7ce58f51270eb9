namespace Mamba.Host.Tests;

public sealed class CancellationTests : IClassFixture<PluginWorkspace>
{
    private readonly PluginWorkspace workspace;

    public CancellationTests(PluginWorkspace workspace) => this.workspace = workspace;

    [Fact]
    public void Sigterm_checkpoints_and_exits_130_then_resume_finishes_the_run()
    {
        string job = workspace.WriteJob("counting", "alpha", "count", new { steps = 30, delayMs = 100 });
        string runs = Path.Combine(workspace.Root, "runs");
        string folder;
        using (var run = workspace.Start("run", job, "--out", runs))
        {
            run.WaitForError("step 5", TimeSpan.FromMinutes(1));
            run.Signal("TERM");
            Assert.Equal(130, run.WaitForExit(TimeSpan.FromMinutes(1)));
            folder = PluginWorkspace.RunFolder(run.Output);
        }
        Assert.Equal("cancelled", (string)PluginWorkspace.ReadJson(Path.Combine(folder, "run.json"))["status"]!);
        Assert.False(File.Exists(Path.Combine(folder, "metrics.json")));

        var (code, output, errors) = workspace.Mamba("run", job, "--out", runs, "--resume");

        Assert.True(code == 0, errors);
        Assert.Equal(folder, PluginWorkspace.RunFolder(output));
        var metrics = PluginWorkspace.ReadJson(Path.Combine(folder, "metrics.json"));
        Assert.InRange((int)metrics["resumedFrom"]!, 5, 29);
        Assert.Equal("succeeded", (string)PluginWorkspace.ReadJson(Path.Combine(folder, "run.json"))["status"]!);
    }

    [Fact]
    public void Resume_without_an_unfinished_run_exits_2()
    {
        var (code, _, errors) = workspace.Mamba("run", workspace.WriteJob("never-ran", "alpha", "echo", new { message = "x" }), "--resume", "--out", Path.Combine(workspace.Root, "runs"));
        Assert.Equal(2, code);
        Assert.Contains("--resume: no interrupted run of 'never-ran' to resume", errors);
    }

    [Fact]
    public void A_run_killed_mid_write_leaves_no_partial_artifact_under_its_name()
    {
        string runs = Path.Combine(workspace.Root, "runs");
        using var run = workspace.Start("run", workspace.WriteJob("big", "alpha", "big", new { chunks = 400 }), "--out", runs, "--run-id", "killed");
        run.WaitForError("chunk 3", TimeSpan.FromMinutes(1));
        run.Signal("KILL");
        run.WaitForExit(TimeSpan.FromMinutes(1));

        string folder = Path.Combine(runs, "big", "killed");
        Assert.False(File.Exists(Path.Combine(folder, "big.bin")), "the half-written artifact must not appear under its final name");
        Assert.NotEmpty(Directory.EnumerateFiles(folder, ".partial-big.bin-*"));
    }

    [Fact]
    public void Worker_files_each_job_as_done_or_failed_and_stops_cleanly_on_sigterm()
    {
        string inbox = Directory.CreateDirectory(Path.Combine(workspace.Root, "inbox")).FullName;
        File.Move(workspace.WriteJob("w-good", "alpha", "echo", new { message = "x" }), Path.Combine(inbox, "a-good.json"));
        File.Move(workspace.WriteJob("w-bad", "alpha", "echo", new { message = "x", count = 99 }), Path.Combine(inbox, "b-bad.json"));

        using var worker = workspace.Start("worker", "--inbox", inbox, "--out", Path.Combine(workspace.Root, "runs"), "--poll", "0.1");
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!(File.Exists(Path.Combine(inbox, "done", "a-good.json")) && File.Exists(Path.Combine(inbox, "failed", "b-bad.json"))))
        {
            Assert.True(DateTime.UtcNow < deadline, $"worker did not file both jobs. stderr:\n{worker.Errors}");
            Thread.Sleep(100);
        }
        worker.Signal("TERM");

        Assert.Equal(0, worker.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(2, (int)PluginWorkspace.ReadJson(Path.Combine(inbox, "failed", "b-bad.json.result.json"))["exitCode"]!);
        Assert.Equal(0, (int)PluginWorkspace.ReadJson(Path.Combine(inbox, "done", "a-good.json.result.json"))["exitCode"]!);
    }
}
