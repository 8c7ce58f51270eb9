using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.TestPlugins.Alpha;

public sealed class EchoOptions
{
    [Required(AllowEmptyStrings = false)]
    public string Message { get; set; } = "";

    [Range(1, 10)]
    public int Count { get; set; } = 1;
}

/// <summary>Writes its message and the version of the plugin that ran it.</summary>
[JobTask("echo", Description = "Echo the message")]
public sealed class EchoTask : JobTask<EchoOptions>
{
    protected override Task RunAsync(JobContext context, EchoOptions options, CancellationToken cancellation) =>
        context.Artifacts.WriteJsonAsync("metrics.json", new { message = string.Concat(Enumerable.Repeat(options.Message, options.Count)), pluginVersion = context.Plugin.Version }, cancellation);
}

public sealed class CountOptions
{
    [Range(1, 100_000)]
    public int Steps { get; set; } = 10;

    [Range(0, 10_000)]
    public int DelayMs { get; set; } = 50;
}

/// <summary>Counts slowly, checkpointing each step; on cancellation it saves and stops, and a resumed run continues.</summary>
[JobTask("count", Description = "Count slowly with checkpoints")]
public sealed class CountTask : JobTask<CountOptions>
{
    protected override async Task RunAsync(JobContext context, CountOptions options, CancellationToken cancellation)
    {
        string checkpoint = Path.Combine(context.CheckpointDirectory, "count.txt");
        int start = context.Resume && File.Exists(checkpoint) ? int.Parse(File.ReadAllText(checkpoint), CultureInfo.InvariantCulture) : 0;
        using var bar = context.Progress.Start("counting", options.Steps);
        for (int step = start; step < options.Steps; step++)
        {
            if (cancellation.IsCancellationRequested)
            {
                await File.WriteAllTextAsync(checkpoint, step.ToString(CultureInfo.InvariantCulture), CancellationToken.None);
                cancellation.ThrowIfCancellationRequested();
            }
            await Task.Delay(options.DelayMs, CancellationToken.None);
            Console.Error.WriteLine($"step {step + 1}");
            bar.Report(step + 1);
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new { steps = options.Steps, resumedFrom = start }, cancellation);
    }
}

public sealed class BigOptions
{
    [Range(1, 100_000)]
    public int Chunks { get; set; } = 100;
}

/// <summary>Writes one large artifact slowly, so a test can kill the process mid-write.</summary>
[JobTask("big", Description = "Write a large artifact slowly")]
public sealed class BigTask : JobTask<BigOptions>
{
    protected override Task RunAsync(JobContext context, BigOptions options, CancellationToken cancellation) =>
        context.Artifacts.WriteAsync("big.bin", async (stream, ct) =>
        {
            var chunk = new byte[64 * 1024];
            for (int i = 0; i < options.Chunks; i++)
            {
                await stream.WriteAsync(chunk, ct);
                await stream.FlushAsync(ct);
                Console.Error.WriteLine($"chunk {i + 1}");
                await Task.Delay(50, ct);
            }
        }, cancellation);
}

public sealed class RowsOptions
{
    [Required(AllowEmptyStrings = false)]
    public string Input { get; set; } = "";
}

/// <summary>A sharded predict: reads its shard's row groups and writes each id with its value doubled.</summary>
[JobTask("rows", Description = "Double a Parquet table's values, shard by row group")]
public sealed class RowsTask : JobTask<RowsOptions>
{
    protected override async Task RunAsync(JobContext context, RowsOptions options, CancellationToken cancellation)
    {
        var table = await ParquetTable.ReadAsync(context.ResolvePath(options.Input), context.Shard, cancellation);
        var ids = (long[])table.First(c => c.Name == "id").Values;
        var values = ((double[])table.First(c => c.Name == "value").Values).Select(v => 2 * v).ToArray();
        await context.Artifacts.WriteParquetAsync(context.Shard.PartName("predictions.parquet"), [new("id", ids), new("value", values)], cancellation: cancellation);
    }
}

public sealed class FailOptions
{
    public string File { get; set; } = "data.csv";
}

/// <summary>Fails the way a bad data file does.</summary>
[JobTask("fail", Description = "Fail with a data error")]
public sealed class FailTask : JobTask<FailOptions>
{
    protected override Task RunAsync(JobContext context, FailOptions options, CancellationToken cancellation) =>
        throw new DataFormatException(options.File, "'abc' is not a number", 7, "temp");
}

/// <summary>Reads ".shout" files: one number per line, as a one-column series. Another plugin's jobs use it.</summary>
[DatasetReader("shout", Extensions = [".shout"])]
public sealed class ShoutReader : IDatasetReader<SeriesFrame>
{
    public Type DataType => typeof(SeriesFrame);

    public SeriesFrame Read(string path, CancellationToken cancellation)
    {
        var values = File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var times = Enumerable.Range(0, values.Length).Select(i => new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(i)).ToList();
        return new SeriesFrame(path, times, ["value"], [values]);
    }
}

public sealed class NothingOptions
{
}

/// <summary>Writes results of which one is not a finite number, as a diverged metric would be.</summary>
[JobTask("nan", Description = "Write a result that is NaN beside finite ones")]
public sealed class NanTask : JobTask<NothingOptions>
{
    protected override Task RunAsync(JobContext context, NothingOptions options, CancellationToken cancellation) =>
        context.Artifacts.WriteJsonAsync("metrics.json", new { mse = double.NaN, rows = new[] { 1.5, double.PositiveInfinity }, kept = 2.5 }, cancellation);
}

/// <summary>Fails the way a bug does: an exception no contract documents.</summary>
[JobTask("crash", Description = "Throw an unexpected exception")]
public sealed class CrashTask : JobTask<NothingOptions>
{
    protected override Task RunAsync(JobContext context, NothingOptions options, CancellationToken cancellation) =>
        throw new InvalidOperationException("the crash task always crashes");
}
