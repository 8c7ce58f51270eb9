using Microsoft.Extensions.Logging;

namespace Mamba.Retrieval.Tasks;

internal static partial class RetrievalLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Set}: {Passages} passages, {Queries} queries; {Training} paragraphs for training")]
    public static partial void LogSet(this ILogger logger, string set, int passages, int queries, int training);

    [LoggerMessage(Level = LogLevel.Information, Message = "Training pairs: {Pairs} ({Kind}), hard negatives: {Negatives}")]
    public static partial void LogPairs(this ILogger logger, int pairs, string kind, int negatives);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method}: MRR@10 {Mrr:F4}, nDCG@10 {Ndcg:F4}, R@1 {R1:F4}, R@10 {R10:F4}, R@100 {R100:F4} over {Queries} queries")]
    public static partial void LogScores(this ILogger logger, string method, double mrr, double ndcg, double r1, double r10, double r100, int queries);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Query} → {Mode} #{Rank} {Id} ({Score:F4})")]
    public static partial void LogHit(this ILogger logger, string query, string mode, int rank, string id, double score);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} at {Length} tokens: {Throughput}")]
    public static partial void LogThroughput(this ILogger logger, string model, int length, string throughput);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hybrid search ({Method}) on {Queries} validation queries, MRR@10 by dense weight: {Trials}; chosen: {Chosen}")]
    public static partial void LogFusion(this ILogger logger, FusionMethod method, int queries, string trials, double chosen);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hybrid list: {Method} fusion, dense weight {Weight} ({Source})")]
    public static partial void LogHybrid(this ILogger logger, FusionMethod method, double weight, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fusion method for search: {Method} (the better on the validation queries)")]
    public static partial void LogFusionMethod(this ILogger logger, FusionMethod method);
}
