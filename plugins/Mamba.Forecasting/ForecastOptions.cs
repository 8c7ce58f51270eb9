using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Mamba.Sdk.Jobs;
using Mamba.Forecasting.Data;
using Mamba.Forecasting.Models;
using Mamba.Sdk.Training;

namespace Mamba.Forecasting;

/// <summary>Which variates go in and which come out (Time-Series-Library's <c>features</c>).</summary>
public enum FeatureMode
{
    /// <summary>All variates in, all out.</summary>
    [JsonStringEnumMemberName("M")]
    M,

    /// <summary>The target alone in and out.</summary>
    [JsonStringEnumMemberName("S")]
    S,

    /// <summary>All variates in, the target out.</summary>
    [JsonStringEnumMemberName("MS")]
    MS,
}

/// <summary>What to do with missing values (empty cells, NaN).</summary>
public enum MissingValuePolicy
{
    /// <summary>Stop with an error naming the first missing cell.</summary>
    Error,

    /// <summary>Carry the last seen value forward (the first rows take the first seen value).</summary>
    ForwardFill,

    /// <summary>Interpolate linearly between the neighbouring values.</summary>
    Linear,
}

/// <summary>The options every forecasting task takes.</summary>
public class ForecastOptions
{
    /// <summary>The series and the protocol.</summary>
    [Required]
    public DataOptions Data { get; set; } = new();

    /// <summary>The model.</summary>
    public ModelOptions Model { get; set; } = new();

    /// <summary>How models are fitted.</summary>
    public TrainingOptions Training { get; set; } = new();

    /// <summary>The baselines reported beside the model.</summary>
    public BaselineOptions Baselines { get; set; } = new();
}

/// <summary>The series and the protocol.</summary>
public sealed class DataOptions : IValidatableObject
{
    /// <summary>The file, relative to the job file.</summary>
    [Required(AllowEmptyStrings = false), Description("Series file (CSV or Parquet), relative to the job file.")]
    [JobPath(JobPathKind.File)]
    public string Path { get; set; } = "";

    /// <summary>A reader name; by default the one claiming the file's extension.</summary>
    [Description("Reader name (csv, parquet, or one another plugin exports); default: by file extension.")]
    public string? Format { get; set; }

    /// <summary>The CSV field delimiter; detected from the header among comma, semicolon and tab when unset.</summary>
    [Description("CSV field delimiter: one character, or \"tab\"; default: detected from the header among , ; and tab.")]
    public string? Delimiter { get; set; }

    /// <summary>The CSV column holding the timestamps; every other column is a variate.</summary>
    [Description("CSV column holding the timestamps (any position, case-insensitive); every other column is a variate.")]
    public string TimeColumn { get; set; } = "date";

    /// <summary>A .NET custom date and time format for the time column; unset, common ISO and US forms are accepted.</summary>
    [Description("Time format of the CSV time column, e.g. dd.MM.yyyy HH:mm; default: ISO (2016-07-01 00:00:00) and US (7/1/2016 0:00) forms.")]
    public string? TimeFormat { get; set; }

    /// <summary>The decimal separator of CSV numbers.</summary>
    [Description("Decimal separator of CSV numbers: . (default) or , (then the delimiter must be another character).")]
    [AllowedValues(".", ",", ErrorMessage = "decimalSeparator is . or ,")]
    public string DecimalSeparator { get; set; } = ".";

    /// <summary>The target column for S and MS; default the last column.</summary>
    [Description("Target column for S and MS; default: the last column.")]
    public string? Target { get; set; }

    /// <summary>M, S or MS.</summary>
    [Description("M: all variates in and out; S: the target only; MS: all in, the target out.")]
    public FeatureMode Features { get; set; } = FeatureMode.M;

    /// <summary>Input length.</summary>
    [Range(2, 10_000), Description("Lookback window (input length).")]
    public int Lookback { get; set; } = 96;

    /// <summary>Forecast lengths, one model each.</summary>
    [MinLength(1), Description("Forecast horizons; one model per horizon.")]
    public int[] Horizons { get; set; } = [96, 192, 336, 720];

    /// <summary>Missing values.</summary>
    [Description("error (default), forward-fill or linear.")]
    public MissingValuePolicy Missing { get; set; } = MissingValuePolicy.Error;

    /// <summary>The largest horizon accepted.</summary>
    public const int MaxHorizon = 100_000;

    /// <summary>The CSV layout these options describe.</summary>
    public SeriesCsvLayout CsvLayout() =>
        new(Delimiter is "tab" ? "\t" : Delimiter, TimeColumn, TimeFormat, DecimalSeparator);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (int i = 0; i < Horizons.Length; i++)
        {
            if (Horizons[i] is < 1 or > MaxHorizon)
                yield return new ValidationResult($"horizons[{i}] is {Horizons[i]}; a horizon is between 1 and {MaxHorizon} rows", [nameof(Horizons)]);
        }
        if (Horizons.Distinct().Count() != Horizons.Length)
            yield return new ValidationResult($"horizons [{string.Join(", ", Horizons)}] repeat a horizon; each is fitted once", [nameof(Horizons)]);
        if (Delimiter is { Length: not 1 } and not "tab")
            yield return new ValidationResult($"delimiter '{Delimiter}' is not one character (or \"tab\")", [nameof(Delimiter)]);
        if (Delimiter is "\"" or "\r" or "\n")
            yield return new ValidationResult("delimiter cannot be a quote or a line break", [nameof(Delimiter)]);
        if (DecimalSeparator == "," && Delimiter == ",")
            yield return new ValidationResult("decimalSeparator ',' needs a delimiter other than ',' (e.g. \";\")", [nameof(DecimalSeparator)]);
        if (string.IsNullOrWhiteSpace(TimeColumn))
            yield return new ValidationResult("timeColumn names the CSV column holding the timestamps", [nameof(TimeColumn)]);
    }
}

/// <summary>S-Mamba's sizes (defaults: the paper's settings scaled for CPU).</summary>
public sealed class ModelOptions
{
    /// <summary>The model to fit.</summary>
    [Description("The model: s-mamba (default) or dlinear.")]
    [AllowedValues(ForecastModels.SMamba, ForecastModels.DLinear, ErrorMessage = "type is s-mamba or dlinear")]
    public string Type { get; set; } = ForecastModels.SMamba;

    /// <summary>Token width.</summary>
    [Range(4, 4096)]
    public int DModel { get; set; } = 128;

    /// <summary>FFN width.</summary>
    [Range(4, 16_384)]
    public int DFf { get; set; } = 128;

    /// <summary>Encoder layers.</summary>
    [Range(1, 32)]
    public int Layers { get; set; } = 2;

    /// <summary>SSM state size N.</summary>
    [Range(1, 256)]
    public int DState { get; set; } = 16;

    /// <summary>Causal conv width (S-Mamba: 2).</summary>
    [Range(1, 8)]
    public int DConv { get; set; } = 2;

    /// <summary>Inner expansion (S-Mamba: 1).</summary>
    [Range(1, 8)]
    public int Expand { get; set; } = 1;

    /// <summary>Dropout in the encoder.</summary>
    [Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.1;

    /// <summary>A finished train or evaluate run folder to take fitted models from, instead of fitting.</summary>
    [Description("Run folder of an earlier train/evaluate run whose models/ to load instead of training (relative to the job file).")]
    [JobPath(JobPathKind.Directory)]
    public string? Weights { get; set; }
}

/// <summary>
/// Fitting (S-Mamba and DLinear alike): no weight decay, β₂ 0.999, cosine to 1 % of the peak, early stopping after 3
/// epochs without a better validation MSE (the best epoch's weights are kept), seed 2024.
/// </summary>
public sealed class TrainingOptions : TrainingSection
{
    /// <summary>The forecasting defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public TrainingOptions()
    {
        MinLearningRateRatio = 0.01;
        WeightDecay = 0;
        Beta2 = 0.999;
        Patience = 3;
        Seed = 2024;
    }
}

/// <summary>Baselines.</summary>
public sealed class BaselineOptions
{
    /// <summary>Season length for seasonal naive, in rows (24 hourly, 7 daily).</summary>
    [Range(1, 100_000)]
    public int SeasonalPeriod { get; set; } = 24;

    /// <summary>DLinear's moving-average window.</summary>
    [Range(1, 1001)]
    public int MovingAverage { get; set; } = 25;
}

/// <summary>Options of <c>predict</c>.</summary>
public sealed class PredictOptions : ForecastOptions
{
    /// <summary>Horizon to forecast; default the largest of <c>data.horizons</c>.</summary>
    [Range(1, 100_000)]
    public int? Horizon { get; set; }

    /// <summary>Variates drawn in the chart; default the first target.</summary>
    public string[] Plot { get; set; } = [];

    /// <summary>History rows shown before the forecast.</summary>
    [Range(1, 100_000)]
    public int History { get; set; } = 200;
}
