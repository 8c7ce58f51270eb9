using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Core.Checkpoints;
using Mamba.Core.Training;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Mamba.Sdk.Training;

/// <summary>
/// Fits models for a running job (<see cref="JobContext.Training"/>): the core <see cref="Trainer"/> with the run's
/// checkpoint folder, so <c>mamba run --resume</c> continues an interrupted fit to the weights an uninterrupted run
/// reaches; cancellation, a progress bar, the best validation epoch's weights, and a record of each fit (its effective
/// settings and outcome) in the run's <c>training.json</c>. A plugin supplies batches, a loss and a validation metric.
/// </summary>
public sealed partial class TrainingRun
{
    /// <summary>The artifact listing every fit of the run.</summary>
    public const string RecordName = "training.json";

    /// <summary>
    /// The run's per-epoch training log: one row per epoch of every fit (<c>fit,epoch,step,loss,metric,validation</c>),
    /// for a spreadsheet or a plotting script; the same history as <see cref="RecordName"/>.
    /// </summary>
    public const string LogName = "training.csv";

    private readonly string? checkpoints;
    private readonly ArtifactWriter? artifacts;
    private readonly IJobProgress progress;
    private readonly ILogger logger;
    private readonly JsonArray fits = [];

    internal TrainingRun(string? checkpoints, ArtifactWriter? artifacts, IJobProgress progress, ILogger logger)
    {
        this.checkpoints = checkpoints;
        this.artifacts = artifacts;
        this.progress = progress;
        this.logger = logger;
    }

    /// <summary>
    /// Fits outside the host (unit tests, scripts, notebooks): nothing is written (no checkpoint, no
    /// <c>training.json</c>), nothing is resumed, no progress is shown; best weights are kept in memory.
    /// </summary>
    public static TrainingRun Detached(ILogger? logger = null) =>
        new(null, null, new SilentProgress(), logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>
    /// Trains <paramref name="model"/>; on cancellation the fit checkpoints and throws <see cref="OperationCanceledException"/>,
    /// and the resumed run continues it from there.
    /// </summary>
    /// <param name="name">The fit's name, unique within the run: it names the checkpoint folder and the <c>training.json</c> entry.</param>
    /// <param name="model">The module to train, freshly initialised (a resumed fit loads its checkpoint into it).</param>
    /// <param name="section">The job's training settings.</param>
    /// <param name="batches">Epoch e's batches (e from 1): a pure function of e, the same count every epoch.</param>
    /// <param name="loss">A batch's scalar loss.</param>
    /// <param name="validate">
    /// The validation metric after each epoch (lower is better, run without gradients); early stopping and the kept
    /// best weights follow it. Null: no validation.
    /// </param>
    /// <param name="metric">What <paramref name="validate"/> measures, for the progress bar and the log.</param>
    /// <param name="seed">This fit's seed when a job fits several models; default <see cref="TrainingSection.Seed"/>.</param>
    /// <param name="cancellation">Stops training after the current step.</param>
    public TrainingResult Fit<TBatch>(
        string name,
        nn.Module model,
        TrainingSection section,
        Func<int, IReadOnlyList<TBatch>> batches,
        Func<TBatch, Tensor> loss,
        Func<double>? validate = null,
        string metric = "validation loss",
        int? seed = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(loss);
        CheckName(name);

        // The first epoch's batches are counted for the warm-up and the bar, then handed to the trainer as they are.
        var first = batches(1);
        if (first.Count == 0) throw new ArgumentException($"fit '{name}': the first epoch has no batches (too few examples for batch size {section.BatchSize}?)");
        var trainer = new Trainer(section.ToTrainerOptions(first.Count, validate is not null, seed));
        var clock = Stopwatch.StartNew();
        TrainingResult result;
        using (var bar = progress.Start(name, (double)first.Count * section.Epochs))
        {
            result = trainer.Fit(
                model,
                epoch => epoch == 1 ? first : batches(epoch),
                loss,
                validate,
                bar.ForTraining(metric),
                checkpoints is null ? null : Path.Combine(checkpoints, name),
                cancellation);
        }
        if (result.BestEpoch is { } best)
            LogValidated(logger, name, result.EpochsRun, best, metric, result.BestValidationMetric ?? double.NaN, result.StoppedEarly);
        else
            LogTrained(logger, name, result.EpochsRun, result.LastLoss);
        Record(name, metric, result, clock.Elapsed.TotalSeconds);
        return result;
    }

    private void Record(string name, string metric, TrainingResult result, double seconds)
    {
        if (artifacts is null) return;
        var entry = new JsonObject
        {
            ["name"] = name,
            ["settings"] = JsonSerializer.SerializeToNode(result.Options, ArtifactWriter.Json),
            ["epochs"] = result.EpochsRun,
            ["steps"] = result.Steps,
            ["metric"] = metric,
            ["bestEpoch"] = result.BestEpoch,
            ["bestValidation"] = Finite(result.BestValidationMetric),
            ["stoppedEarly"] = result.StoppedEarly,
            ["lastLoss"] = Finite(result.LastLoss),
            ["history"] = new JsonArray([.. result.History.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch, ["step"] = e.Step, ["loss"] = Finite(e.Loss), ["validation"] = Finite(e.Validation),
            })]),
            ["seconds"] = Math.Round(seconds, 2),
        };
        lock (fits)
        {
            // A fit run again (a task fitting the same model twice) replaces its entry rather than listing it twice.
            if (fits.FirstOrDefault(f => (string?)f?["name"] == name) is { } old) fits.Remove(old);
            fits.Add(entry);
            AtomicFile.WriteAllText(artifacts.PathOf(RecordName), fits.ToJsonString(ArtifactWriter.Json));
            AtomicFile.WriteAllText(artifacts.PathOf(LogName), EpochLog(fits));
        }
        artifacts.Record(RecordName);
        artifacts.Record(LogName);
    }

    /// <summary>The fits' histories as CSV, numbers round-trippable in the invariant culture, empty where not finite.</summary>
    private static string EpochLog(JsonArray fits)
    {
        var text = new StringBuilder("fit,epoch,step,loss,metric,validation\n");
        static string Number(JsonNode? value) => value is null ? "" : ((double)value).ToString("R", CultureInfo.InvariantCulture);
        static string Field(string value) => value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        foreach (var fit in fits)
        {
            string name = Field((string)fit!["name"]!), metric = Field((string?)fit["metric"] ?? "");
            foreach (var epoch in fit["history"]!.AsArray())
                text.Append(CultureInfo.InvariantCulture,
                    $"{name},{(int)epoch!["epoch"]!},{(long)epoch["step"]!},{Number(epoch["loss"])},{metric},{Number(epoch["validation"])}\n");
        }
        return text.ToString();
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Length > 128 || !char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')))
            throw new ArgumentException($"fit name '{name}' must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit (it names a folder)", nameof(name));
    }

    private sealed class SilentProgress : IJobProgress, IProgressBar
    {
        public IProgressBar Start(string description, double total) => this;

        public void Report(double value, string? status = null)
        {
        }

        public void Dispose()
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Fit}: {Epochs} epochs, best epoch {BestEpoch} with {Metric} {Best:F4}, stopped early: {StoppedEarly}")]
    private static partial void LogValidated(ILogger logger, string fit, int epochs, int bestEpoch, string metric, double best, bool stoppedEarly);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Fit}: {Epochs} epochs, last loss {Loss:F4}")]
    private static partial void LogTrained(ILogger logger, string fit, int epochs, double loss);
}
