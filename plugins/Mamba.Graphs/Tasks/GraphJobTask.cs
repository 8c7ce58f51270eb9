using Mamba.Graphs.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.Graphs.Tasks;

/// <summary>
/// A graphs task: before the run starts, the edge list and the node table are read and joined (columns, ids,
/// weights, feature columns), so <c>validate</c> refuses what the run would. The tables are small next to the
/// training they feed.
/// </summary>
public abstract class GraphJobTask : JobTask<GraphJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, GraphJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Features.Structural && options.Data.FeatureColumns.Length == 0)
            throw new JobOptionsException("options.features.structural", "false leaves no node features; name node-table columns in data.featureColumns");
        GraphFiles.ReadAsync(context.ResolvePath(options.Data.Edges), context.ResolvePath(options.Data.Nodes), options.Data, CancellationToken.None)
            .GetAwaiter().GetResult();
    }
}
