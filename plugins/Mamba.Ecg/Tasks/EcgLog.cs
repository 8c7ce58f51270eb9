using Microsoft.Extensions.Logging;

namespace Mamba.Ecg.Tasks;

internal static partial class EcgLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Synthetic data (not real recordings): {Train}/{Validation}/{Test} records of {Seconds} s")]
    public static partial void LogSynthetic(this ILogger logger, int train, int validation, int test, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Labelled records in {Folder}: {Train}/{Validation}/{Test} (train/validation/test), {Unlabelled} left out without a scored #Dx code; {Classes} scored classes in training")]
    public static partial void LogRecords(this ILogger logger, string folder, int train, int validation, int test, int unlabelled, int classes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model}, lead set {Leads}: macro AUROC {Auroc:F4}, AUPRC {Auprc:F4}, F {F:F4}, challenge score {Challenge:F4}")]
    public static partial void LogScores(this ILogger logger, string model, string leads, double auroc, double auprc, double f, double challenge);

    [LoggerMessage(Level = LogLevel.Information, Message = "Record {Record}: {Windows} windows of {Seconds} s, leads {Leads}; it has no ground-truth labels here")]
    public static partial void LogRecord(this ILogger logger, string record, int windows, double seconds, string leads);
}
