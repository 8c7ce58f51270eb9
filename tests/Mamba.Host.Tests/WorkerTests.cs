using System.Diagnostics;

namespace Mamba.Host.Tests;

/// <summary>
/// <c>mamba worker</c> with several workers on one inbox: a job is claimed once, is known by its content, resumes only
/// its own interrupted run, and a worker that fails says so and gives its job back.
/// </summary>
public sealed class WorkerTests : IClassFixture<PluginWorkspace>
{
    private readonly PluginWorkspace workspace;

    public WorkerTests(PluginWorkspace workspace) => this.workspace = workspace;

    private string NewInbox() => Directory.CreateDirectory(Path.Combine(workspace.Root, "inbox-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    private MambaProcess Worker(string inbox) => workspace.Start("worker", "--inbox", inbox, "--out", Path.Combine(workspace.Root, "runs"), "--poll", "0.05");

    private static void Submit(string inbox, string name, string json)
    {
        string staged = Path.Combine(inbox, "." + name);                    // written whole, then renamed in, as a user's tool would
        File.WriteAllText(staged, json);
        File.Move(staged, Path.Combine(inbox, name));
    }

    private static void WaitFor(Func<bool> condition, MambaProcess worker, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{what} did not happen. stderr:\n{worker.Errors}");
            Thread.Sleep(50);
        }
    }

    private static string RunDirectory(string resultFile) => (string)PluginWorkspace.ReadJson(resultFile)["runDirectory"]!;

    [Fact]
    public void A_job_sharing_a_name_with_one_in_flight_gets_its_own_run_and_leaves_the_other_alone()
    {
        string inbox = NewInbox();
        Submit(inbox, "a.json", """{ "name": "shared", "plugin": "alpha", "task": "count", "options": { "steps": 40, "delayMs": 50 } }""");
        using var first = Worker(inbox);
        first.WaitForError("step 2", TimeSpan.FromMinutes(1));

        Submit(inbox, "b.json", """{ "name": "shared", "plugin": "alpha", "task": "count", "options": { "steps": 3, "delayMs": 10 } }""");
        using var second = Worker(inbox);
        string done = Path.Combine(inbox, "done");
        WaitFor(() => File.Exists(Path.Combine(done, "a.json.result.json")) && File.Exists(Path.Combine(done, "b.json.result.json")), first, "both jobs finishing");
        first.Signal("TERM");
        second.Signal("TERM");

        Assert.Equal(0, first.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromMinutes(1)));
        string a = RunDirectory(Path.Combine(done, "a.json.result.json")), b = RunDirectory(Path.Combine(done, "b.json.result.json"));
        Assert.NotEqual(a, b);
        var metricsA = PluginWorkspace.ReadJson(Path.Combine(a, "metrics.json"));
        Assert.Equal(40, (int)metricsA["steps"]!);
        Assert.Equal(0, (int)metricsA["resumedFrom"]!);
        Assert.Equal(3, (int)PluginWorkspace.ReadJson(Path.Combine(b, "metrics.json"))["steps"]!);
    }

    [Fact]
    public void A_job_returned_on_shutdown_is_resumed_by_the_next_worker_in_the_same_run()
    {
        string inbox = NewInbox();
        Submit(inbox, "long.json", """{ "plugin": "alpha", "task": "count", "options": { "steps": 40, "delayMs": 40 } }""");
        using (var stopped = Worker(inbox))
        {
            stopped.WaitForError("step 3", TimeSpan.FromMinutes(1));
            stopped.Signal("TERM");
            Assert.Equal(0, stopped.WaitForExit(TimeSpan.FromMinutes(1)));
        }
        Assert.True(File.Exists(Path.Combine(inbox, "long.json")), "the stopped job must be back in the inbox under its name");

        using var next = Worker(inbox);
        string result = Path.Combine(inbox, "done", "long.json.result.json");
        WaitFor(() => File.Exists(result), next, "the returned job finishing");
        next.Signal("TERM");
        Assert.Equal(0, next.WaitForExit(TimeSpan.FromMinutes(1)));

        string run = RunDirectory(result);
        Assert.Single(Directory.EnumerateDirectories(Path.GetDirectoryName(run)!));
        Assert.True((int)PluginWorkspace.ReadJson(Path.Combine(run, "metrics.json"))["resumedFrom"]! >= 3);
        Assert.True((bool)PluginWorkspace.ReadJson(Path.Combine(run, "run.json"))["resumed"]!);
    }

    [Fact]
    public void A_job_resubmitted_after_it_failed_starts_a_new_run()
    {
        string inbox = NewInbox();
        string job = """{ "plugin": "alpha", "task": "fail", "options": {} }""";
        Submit(inbox, "again.json", job);
        using var worker = Worker(inbox);
        string failed = Path.Combine(inbox, "failed");
        WaitFor(() => File.Exists(Path.Combine(failed, "again.json.result.json")), worker, "the first submission failing");
        string firstRun = RunDirectory(Path.Combine(failed, "again.json.result.json"));

        File.Move(Path.Combine(failed, "again.json"), Path.Combine(inbox, "again.json"));
        WaitFor(() => Directory.EnumerateFiles(failed, "*.result.json").Count() == 2, worker, "the second submission failing");
        worker.Signal("TERM");
        Assert.Equal(0, worker.WaitForExit(TimeSpan.FromMinutes(1)));

        var runs = Directory.EnumerateFiles(failed, "*.result.json").Select(RunDirectory).ToList();
        Assert.Contains(firstRun, runs);
        Assert.Equal(2, runs.Distinct().Count());
        Assert.Equal("failed", (string)PluginWorkspace.ReadJson(Path.Combine(firstRun, "run.json"))["status"]!);
    }

    [Fact]
    public void Workers_sharing_an_inbox_run_every_job_exactly_once()
    {
        // Enough fast jobs that two workers often reach for the same file (the old claim crashed a worker at about 80).
        const int jobs = 200;
        string inbox = NewInbox();
        for (int i = 0; i < jobs; i++) Submit(inbox, $"job-{i:D3}.json", $$"""{ "plugin": "alpha", "task": "echo", "options": { "message": "m{{i}}" } }""");
        using var first = Worker(inbox);
        using var second = Worker(inbox);
        string done = Path.Combine(inbox, "done");

        WaitFor(() => Directory.Exists(done) && Directory.EnumerateFiles(done, "*.result.json").Count() == jobs, first, $"all {jobs} jobs finishing");
        Assert.False(first.HasExited, $"the first worker stopped on its own:\n{first.Errors}");
        Assert.False(second.HasExited, $"the second worker stopped on its own:\n{second.Errors}");
        first.Signal("TERM");
        second.Signal("TERM");

        Assert.Equal(0, first.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(0, second.WaitForExit(TimeSpan.FromMinutes(1)));
        Assert.Equal(jobs, Directory.EnumerateFiles(done, "job-*.json").Count(f => !f.EndsWith(".result.json", StringComparison.Ordinal)));
        Assert.Empty(Directory.EnumerateFiles(inbox, "*.json"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(inbox, "processing")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(inbox, "failed")));
        Assert.Equal(jobs, Directory.EnumerateFiles(done, "*.result.json").Select(RunDirectory).Distinct().Count());
    }

    [Fact]
    public void A_worker_that_fails_exits_1_and_gives_its_job_back()
    {
        string inbox = NewInbox();
        // A folder where the finished job's file must go: filing it fails, as on a full or read-only disk.
        Directory.CreateDirectory(Path.Combine(inbox, "done", "stuck.json"));
        Submit(inbox, "stuck.json", """{ "plugin": "alpha", "task": "echo", "options": { "message": "x" } }""");

        using var worker = Worker(inbox);
        int code = worker.WaitForExit(TimeSpan.FromMinutes(1));

        Assert.Equal(1, code);
        Assert.True(File.Exists(Path.Combine(inbox, "stuck.json")), "the claimed job must be back in the inbox");
        Assert.Contains("worker: stopped on an error", worker.Errors, StringComparison.Ordinal);
    }
}
