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
    public int Train { get; set; } = 2000;

    /// <summary>Validation records (per-class thresholds are tuned on them).</summary>
    [Range(1, 1_000_000)]
    public int Validation { get; set; } = 400;

    /// <summary>Held-out test records.</summary>
    [Range(1, 1_000_000)]
    public int Test { get; set; } = 600;

    /// <summary>Seconds per record.</summary>
    [Range(1.0, 600.0)]
    public double Seconds { get; set; } = 10;

    /// <summary>Seed of the first record; the splits use disjoint seed ranges.</summary>
    public int Seed { get; set; }
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
    /// <summary>Synthetic training and evaluation data.</summary>
    public SyntheticDataOptions Synthetic { get; set; } = new();

    /// <summary>The model.</summary>
    public EcgModelOptions Model { get; set; } = new();

    /// <summary>Training.</summary>
    public EcgTrainingOptions Training { get; set; } = new();

    /// <summary><c>predict</c>/<c>stream</c>: a WFDB header (<c>.hea</c>) of a real recording, relative to the job file.</summary>
    [JobPath(JobPathKind.File)]
    public string? Record { get; set; }

    /// <summary>Leads to use: 12, 6, 4, 3, 2 or 1 (lead II; MLII is read as II).</summary>
    [RegularExpression("^(12|6|4|3|2|1)$")]
    [JsonConverter(typeof(LeadSetNameConverter))]
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
