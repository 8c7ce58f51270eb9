using Mamba.Graphs.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.Graphs.Tasks;

/// <summary>
/// A graphs task: before the run starts, the edge list and the node table are read and joined (columns, ids,
/// weights), so <c>validate</c> refuses what the run would. The tables are small next to the training they feed.
/// </summary>
public abstract class GraphJobTask : JobTask<GraphJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, GraphJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        GraphFiles.ReadAsync(context.ResolvePath(options.Data.Edges), context.ResolvePath(options.Data.Nodes), options.Data, CancellationToken.None)
            .GetAwaiter().GetResult();
    }
}
