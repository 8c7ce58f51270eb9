using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mamba.Sdk.Jobs;
using Mamba.Sdk.Training;

namespace Mamba.Ecg;

/// <summary>The labelled synthetic data set (the generator's records are not real recordings).</summary>
public sealed class SyntheticDataOptions
{
    /// <summary>Training records.</summary>
    [Range(1, 1_000_000)]
    [UsedBy("train", "evaluate", "predict", "stream")]
    public int Train { get; set; } = 2000;

    /// <summary>Validation records (per-class thresholds are tuned on them).</summary>
    [Range(1, 1_000_000)]
    [UsedBy("train", "evaluate", "predict", "stream")]
    public int Validation { get; set; } = 400;

    /// <summary>Held-out test records.</summary>
    [Range(1, 1_000_000)]
    [UsedBy("train", "evaluate", "predict", "stream")]
    public int Test { get; set; } = 600;

    /// <summary>Seconds per record.</summary>
    [Range(1.0, 600.0)]
    public double Seconds { get; set; } = 10;

    /// <summary>The rate records are generated at (the challenges' records are mostly 500 Hz).</summary>
    [Range(50.0, 2000.0), Description("Rate the generator samples at, Hz (records are resampled to model.samplingFrequency).")]
    public double SamplingFrequency { get; set; } = 500;

    /// <summary>Seed of the first record; the splits use disjoint seed ranges.</summary>
    public int Seed { get; set; }

    /// <summary><c>simulate</c>: records written as a labelled WFDB folder.</summary>
    [Range(1, 100_000), Description("simulate: records written as a labelled WFDB folder in the challenge layout.")]
    [UsedBy("simulate")]
    public int Records { get; set; } = 100;
}

/// <summary>
/// A folder of labelled WFDB records (the PhysioNet/CinC 2020/2021 layout): what <c>train</c> and <c>evaluate</c> use
/// instead of the synthetic generator when <see cref="Records"/> is set.
/// </summary>
public sealed class RecordDataOptions : IValidatableObject
{
    /// <summary>The folder, searched recursively for <c>.hea</c> headers whose <c># Dx:</c> lines hold SNOMED CT codes.</summary>
    [Description("Folder of labelled WFDB records (searched recursively for .hea files with '# Dx:' SNOMED CT codes), relative to the job file; unset: the synthetic generator.")]
    [JobPath(JobPathKind.Directory)]
    public string? Records { get; set; }

    /// <summary>A CSV of <c>record,split</c> lines fixing the split; unset, records are split by a seeded shuffle.</summary>
    [Description("CSV of record,split lines (train, validation or test) fixing the split; unset: a seeded shuffle by the fractions below.")]
    [JobPath(JobPathKind.File)]
    public string? SplitFile { get; set; }

    /// <summary>Share of the labelled records held out for validation (thresholds are tuned on them).</summary>
    [Range(0.01, 0.9), Description("Share of the labelled records for validation (early stopping, per-class thresholds).")]
    public double ValidationFraction { get; set; } = 0.15;

    /// <summary>Share of the labelled records held out for testing.</summary>
    [Range(0.0, 0.9), Description("Share of the labelled records held out for the test split (evaluate scores it).")]
    public double TestFraction { get; set; } = 0.15;

    /// <summary>The seed of the shuffle that splits the records.</summary>
    [Description("Seed of the shuffle that splits the records (by record name).")]
    public int Seed { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ValidationFraction + TestFraction >= 0.95)
            yield return new ValidationResult($"validationFraction + testFraction is {ValidationFraction + TestFraction:0.##}; leave at least 5 % for training", [nameof(TestFraction)]);
        if (SplitFile is not null && Records is null)
            yield return new ValidationResult("splitFile names records of data.records; set data.records too", [nameof(SplitFile)]);
    }
}

/// <summary>The classifier.</summary>
public sealed class EcgModelOptions
{
    /// <summary>CNN channels and d_model.</summary>
    [Range(8, 1024)]
    public int DModel { get; set; } = 64;

    /// <summary>Bidirectional Mamba layers.</summary>
    [Range(1, 16)]
    public int Layers { get; set; } = 2;

    /// <summary>SSM state size N.</summary>
    [Range(1, 256)]
    public int DState { get; set; } = 16;

    /// <summary>Rate the model reads, Hz.</summary>
    [Range(50.0, 2000.0)]
    public double SamplingFrequency { get; set; } = 250;

    /// <summary>Seconds per window.</summary>
    [Range(1.0, 120.0)]
    public double WindowSeconds { get; set; } = 10;

    /// <summary>A run folder of an earlier <c>train</c> job whose model to load.</summary>
    [JobPath(JobPathKind.Directory)]
    public string? Weights { get; set; }
}

/// <summary>
/// Training: 15 epochs, warm-up over the first, cosine to 5 % of the peak, the epoch with the lowest validation
/// cross-entropy kept.
/// </summary>
public sealed class EcgTrainingOptions : TrainingSection
{
    /// <summary>The ECG defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public EcgTrainingOptions()
    {
        Epochs = 15;
        MinLearningRateRatio = 0.05;
        WarmupEpochs = 1;
    }

    /// <summary>Train each window with a lead set drawn at random (12, 6, 4, 3, 2 or 1 leads), so one model serves all.</summary>
    [Description("Train each window on a random lead set (12, 6, 4, 3, 2 or 1 leads) so one model serves all.")]
    public bool RandomLeadSets { get; set; } = true;
}

/// <summary>Options of the ECG plugin's tasks.</summary>
public sealed class EcgJobOptions
{
    /// <summary>Labelled WFDB records of the user's own; when unset, the synthetic generator's records.</summary>
    [UsedBy("train", "evaluate", "predict", "stream")]
    public RecordDataOptions Data { get; set; } = new();

    /// <summary>Synthetic training and evaluation data.</summary>
    public SyntheticDataOptions Synthetic { get; set; } = new();

    /// <summary>The model.</summary>
    [UsedBy("train", "evaluate", "predict", "stream")]
    public EcgModelOptions Model { get; set; } = new();

    /// <summary>Training.</summary>
    [UsedBy("train", "evaluate", "predict", "stream")]
    public EcgTrainingOptions Training { get; set; } = new();

    /// <summary><c>predict</c>/<c>stream</c>: a WFDB header (<c>.hea</c>) of a real recording, relative to the job file.</summary>
    [JobPath(JobPathKind.File)]
    [UsedBy("predict", "stream")]
    public string? Record { get; set; }

    /// <summary>Leads to use: 12, 6, 4, 3, 2 or 1 (lead II; MLII is read as II).</summary>
    [RegularExpression("^(12|6|4|3|2|1)$")]
    [JsonConverter(typeof(LeadSetNameConverter))]
    [UsedBy("train", "predict", "stream")]
    public string LeadSet { get; set; } = "12";
}

/// <summary>Reads a lead set written as a number (<c>"leadSet": 12</c>, <c>--set leadSet=1</c>) or as a string.</summary>
internal sealed class LeadSetNameConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt32(out int leads) => leads.ToString(CultureInfo.InvariantCulture),
        JsonTokenType.String => reader.GetString()!,
        _ => throw new JsonException("expected a lead set: 12, 6, 4, 3, 2 or 1"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
