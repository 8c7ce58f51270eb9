using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

public sealed class JobRunTests : IClassFixture<PluginWorkspace>
{
    private readonly PluginWorkspace workspace;

    public JobRunTests(PluginWorkspace workspace) => this.workspace = workspace;

    private string Run(string job, params string[] extra)
    {
        var (code, output, errors) = workspace.Mamba(["run", job, "--out", Path.Combine(workspace.Root, "runs"), .. extra]);
        Assert.True(code == 0, $"mamba run exited {code}: {errors}");
        return PluginWorkspace.RunFolder(output);
    }

    [Fact]
    public void A_job_gets_the_highest_compatible_version_unless_it_pins_one()
    {
        string latest = Run(workspace.WriteJob("echo-latest", "alpha", "echo", new { message = "hi" }));
        string pinned = Run(workspace.WriteJob("echo-pinned", "alpha@1.0", "echo", new { message = "hi" }));
        string ranged = Run(workspace.WriteJob("echo-ranged", "alpha@[1.0,2.0)", "echo", new { message = "hi" }));

        Assert.Equal("2.0.0", (string)PluginWorkspace.ReadJson(Path.Combine(latest, "metrics.json"))["pluginVersion"]!);
        Assert.Equal("1.0.0", (string)PluginWorkspace.ReadJson(Path.Combine(pinned, "metrics.json"))["pluginVersion"]!);
        Assert.Equal("1.0.0", (string)PluginWorkspace.ReadJson(Path.Combine(ranged, "metrics.json"))["pluginVersion"]!);
    }

    [Fact]
    public void A_run_records_the_resolved_job_its_summary_and_its_log()
    {
        string folder = Run(workspace.WriteJob("echo-record", "alpha", "echo", new { message = "ab" }), "--set", "count=3");

        var job = PluginWorkspace.ReadJson(Path.Combine(folder, "job.json"));
        Assert.Equal("alpha@2.0.0", (string)job["plugin"]!);
        Assert.Equal(3, (int)job["options"]!["count"]!);
        Assert.Equal("ababab", (string)PluginWorkspace.ReadJson(Path.Combine(folder, "metrics.json"))["message"]!);
        var summary = PluginWorkspace.ReadJson(Path.Combine(folder, "run.json"));
        Assert.Equal("succeeded", (string)summary["status"]!);
        Assert.Contains("Running echo-record", File.ReadAllText(Path.Combine(folder, "run.log")));
        Assert.Empty(Directory.EnumerateFiles(folder, ".partial-*"));
    }

    [Fact]
    public void Validate_prints_the_job_exactly_as_the_run_records_it()
    {
        string job = workspace.WriteJob("echo-printed", "alpha", "echo", new { message = "ab" });

        var (code, printed, errors) = workspace.Mamba("validate", job, "--set", "count=3", "--print");
        string folder = Run(job, "--set", "count=3");

        Assert.True(code == 0, errors);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(printed), PluginWorkspace.ReadJson(Path.Combine(folder, "job.json"))),
            $"printed:\n{printed}\nrecorded:\n{File.ReadAllText(Path.Combine(folder, "job.json"))}");
        Assert.Equal(3, (int)JsonNode.Parse(printed)!["options"]!["count"]!);
    }

    [Fact]
    public void An_export_of_one_plugin_serves_a_job_of_another()
    {
        File.WriteAllLines(Path.Combine(workspace.Root, "numbers.shout"), ["1.5", "2.5", "4"]);
        string folder = Run(workspace.WriteJob("beta-sum", "beta", "sum", new { path = "numbers.shout" }));

        var metrics = PluginWorkspace.ReadJson(Path.Combine(folder, "metrics.json"));
        Assert.Equal(3, (int)metrics["rows"]!);
        Assert.Equal(8.0, (double)metrics["sum"]!);
    }

    [Theory]
    [InlineData("""{"message": "x", "mesage": "y"}""", "options.mesage: unknown key")]
    [InlineData("""{"message": "x", "count": "three"}""", "options.count: expected an integer")]
    [InlineData("""{"message": "x", "count": 11}""", "options.count: The field Count must be between 1 and 10")]
    [InlineData("""{"count": 2}""", "options.message")]
    public void Invalid_options_exit_2_naming_the_key(string options, string expected)
    {
        string path = Path.Combine(workspace.Root, $"bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""{"plugin": "alpha", "task": "echo", "options": {{options}} }""");

        var (code, _, errors) = workspace.Mamba("run", path, "--out", Path.Combine(workspace.Root, "runs"));

        Assert.Equal(2, code);
        Assert.Contains(expected, errors);
        Assert.False(Directory.Exists(Path.Combine(workspace.Root, "runs", Path.GetFileNameWithoutExtension(path))), "an invalid job must not start a run");
    }

    [Fact]
    public void Malformed_job_files_and_unknown_tasks_exit_2()
    {
        string path = Path.Combine(workspace.Root, "malformed.json");
        File.WriteAllText(path, "{ \"plugin\": \"alpha\", ");
        Assert.Equal(2, workspace.Mamba("validate", path).ExitCode);
        var (code, _, errors) = workspace.Mamba("validate", workspace.WriteJob("no-task", "alpha", "juggle", new { }));
        Assert.Equal(2, code);
        Assert.Contains("has no task 'juggle'", errors);
    }

    [Fact]
    public void Missing_or_incompatible_plugins_exit_3_with_the_reason()
    {
        var missing = workspace.Mamba("run", workspace.WriteJob("missing", "gamma", "echo", new { }));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("No plugin 'gamma'", missing.Errors);

        var old = workspace.Mamba("run", workspace.WriteJob("old", "alpha@0.9.0", "echo", new { message = "x" }));
        Assert.Equal(3, old.ExitCode);
        Assert.Contains("needs SDK", old.Errors);

        var faulty = workspace.Mamba("run", workspace.WriteJob("faulty", "faulty", "noop", new { }));
        Assert.Equal(3, faulty.ExitCode);
        Assert.Contains("refuses to start", faulty.Errors);
    }

    [Fact]
    public void A_failing_task_exits_1_and_leaves_a_failure_record()
    {
        var (code, output, errors) = workspace.Mamba("run", workspace.WriteJob("failing", "alpha", "fail", new { file = "weather.csv" }), "--out", Path.Combine(workspace.Root, "runs"));

        Assert.Equal(1, code);
        Assert.Contains("weather.csv, row 7, column 'temp': 'abc' is not a number", errors);
        var summary = PluginWorkspace.ReadJson(Path.Combine(PluginWorkspace.RunFolder(output), "run.json"));
        Assert.Equal("failed", (string)summary["status"]!);
        Assert.Equal(1, (int)summary["exitCode"]!);
    }

    [Fact]
    public void Validate_checks_without_running()
    {
        var (code, _, errors) = workspace.Mamba("validate", workspace.WriteJob("valid", "alpha", "echo", new { message = "x" }));
        Assert.True(code == 0, errors);
        Assert.False(Directory.Exists(Path.Combine(workspace.Root, "runs", "valid")));
    }

    [Fact]
    public async Task Shards_together_produce_exactly_the_rows_of_one_unsharded_run()
    {
        long[] ids = [.. Enumerable.Range(0, 70).Select(i => (long)i)];
        double[] values = [.. ids.Select(i => i * 0.5)];
        string input = Path.Combine(workspace.Root, "table.parquet");
        await using (var file = File.Create(input))
            await ParquetTable.WriteAsync(file, [new("id", ids), new("value", values)], rowGroupSize: 10);
        string job = workspace.WriteJob("rows", "alpha", "rows", new { input = "table.parquet" });
        string runs = Path.Combine(workspace.Root, "runs");

        var whole = await ParquetTable.ReadAsync(Path.Combine(Run(job), "predictions.parquet"));
        var shards = Enumerable.Range(0, 3).Select(i => workspace.Start("run", job, "--out", runs, "--shard", $"{i}/3", "--run-id", "sharded")).ToList();
        foreach (var shard in shards)
        {
            int code = shard.WaitForExit(TimeSpan.FromMinutes(2));
            Assert.True(code == 0, shard.Errors);
            shard.Dispose();
        }
        var parts = new List<(long, double)>();
        for (int i = 0; i < 3; i++)
        {
            var part = await ParquetTable.ReadAsync(Path.Combine(runs, "rows", "sharded", $"predictions.part-{i}.parquet"));
            Assert.NotEmpty((long[])part[0].Values);
            parts.AddRange(((long[])part[0].Values).Zip((double[])part[1].Values));
        }

        var expected = ((long[])whole[0].Values).Zip((double[])whole[1].Values).Order().ToList();
        Assert.Equal(70, expected.Count);
        Assert.Equal(expected, parts.Order().ToList());
    }

    [Fact]
    public void Kubernetes_completion_index_without_completions_is_an_invalid_job()
    {
        var (code, _, errors) = MambaProcess.RunWith(workspace.Root, new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "1" },
            "run", workspace.WriteJob("k8s", "alpha", "echo", new { message = "x" }), "--plugins", workspace.Plugins);
        Assert.Equal(2, code);
        Assert.Contains("JOB_COMPLETIONS", errors);
    }
}
