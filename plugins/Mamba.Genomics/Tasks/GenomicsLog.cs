using Microsoft.Extensions.Logging;

namespace Mamba.Genomics.Tasks;

internal static partial class GenomicsLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Source}: {Records} records, {Bases} bases; regions train {Train}, validation {Validation}, test {Test} bases")]
    public static partial void LogSequences(this ILogger logger, string source, int records, long bases, long train, long validation, long test);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Objective} {Layers}, d_model {ModelDim}, RCPS {Rcps}: {Parameters} parameters")]
    public static partial void LogModel(this ILogger logger, string objective, string layers, int modelDim, bool rcps, long parameters);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model}: {Bits:F4} bits/base over {Bases} test bases")]
    public static partial void LogBitsPerBase(this ILogger logger, string model, double bits, long bases);

    [LoggerMessage(Level = LogLevel.Information, Message = "Classification {Model}: test accuracy {Accuracy:F4}, MCC {Mcc:F4}")]
    public static partial void LogClassification(this ILogger logger, string model, double accuracy, double mcc);

    [LoggerMessage(Level = LogLevel.Information, Message = "Classification data: {Train}/{Validation}/{Test} sequences (train/validation/test), {Dropped} duplicate records dropped, {Groups} overlap groups")]
    public static partial void LogClassificationData(this ILogger logger, int train, int validation, int test, int dropped, int groups);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File}: {Skipped} alleles left out (indels, symbolic or missing alleles: only single-base substitutions are scored); scoring {Scored}")]
    public static partial void LogSkippedVariants(this ILogger logger, string file, int skipped, int scored);
}
