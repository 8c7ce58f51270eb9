using System.ComponentModel.DataAnnotations;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.TestPlugins.Beta;

public sealed class SumOptions
{
    [Required(AllowEmptyStrings = false)]
    public string Path { get; set; } = "";
}

/// <summary>Sums a series read by whichever plugin's reader claims the file.</summary>
[JobTask("sum", Description = "Sum a series read by any plugin's reader")]
public sealed class SumTask : JobTask<SumOptions>
{
    protected override Task RunAsync(JobContext context, SumOptions options, CancellationToken cancellation)
    {
        string path = context.ResolvePath(options.Path);
        var frame = context.Exports.ReaderFor<SeriesFrame>(path).Read(path, cancellation);
        return context.Artifacts.WriteJsonAsync("metrics.json", new { rows = frame.RowCount, sum = frame.Columns[0].Sum() }, cancellation);
    }
}
