using Microsoft.Extensions.Logging;

namespace Mamba.Graphs.Tasks;

internal static partial class GraphLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Source}: {Nodes} nodes, {Entries} adjacency entries, {Classes} classes, {Features} structural features")]
    public static partial void LogGraph(this ILogger logger, string source, int nodes, int entries, int classes, long features);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {Run} (seed {Seed}): {Model} validation accuracy {Validation:F4}, test accuracy {Test:F4}")]
    public static partial void LogRun(this ILogger logger, int run, int seed, string model, double validation, double test);
}
