using System.ComponentModel.DataAnnotations;
using Mamba.Genomics.Data;
using Mamba.Genomics.Models;
using Mamba.Sdk.Jobs;
using Mamba.Sdk.Training;

namespace Mamba.Genomics;

/// <summary>Which sequences, and how each record is divided into training, validation and test regions.</summary>
public sealed class GenomicsDataOptions : IValidatableObject
{
    /// <summary>FASTA or FASTQ file (plain or gzip), relative to the job file.</summary>
    [Required(AllowEmptyStrings = false)]
    [JobPath(JobPathKind.File)]
    public string Sequences { get; set; } = "";

    /// <summary>IUPAC ambiguity codes (R, Y, …): mapped to N, or refused.</summary>
    public AmbiguityHandling Ambiguity { get; set; } = AmbiguityHandling.MapToN;

    /// <summary>Share at the end of each record held out as the test region (<c>evaluate</c>).</summary>
    [Range(0.0, 0.9)]
    public double TestFraction { get; set; } = 0.1;

    /// <summary>Share just before the test region used for validation (model and Markov-order selection).</summary>
    [Range(0.0, 0.9)]
    public double ValidationFraction { get; set; } = 0.05;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TestFraction + ValidationFraction >= 1) yield return new ValidationResult("testFraction + validationFraction must leave a training region", [nameof(TestFraction), nameof(ValidationFraction)]);
    }
}

/// <summary>The DNA language model.</summary>
public sealed class GenomicsModelOptions
{
    /// <summary>Causal (next base) or masked (bidirectional, BERT-style).</summary>
    public Objective Objective { get; set; } = Objective.Causal;

    /// <summary>Layer pattern in the core's names (M1, M2, A causal; BM, BA bidirectional); default: 4 × M1 causal, 4 × BM masked.</summary>
    public string? Layers { get; set; }

    /// <summary>d_model.</summary>
    [Range(8, 2048)]
    public int DModel { get; set; } = 128;

    /// <summary>SSM state size N of Mamba-1 layers (Mamba-2 layers use 4N).</summary>
    [Range(1, 256)]
    public int DState { get; set; } = 16;

    /// <summary>Heads of attention layers.</summary>
    [Range(1, 64)]
    public int AttentionHeads { get; set; } = 4;

    /// <summary>Caduceus RCPS: reverse-complement equivariance by parameter sharing (masked models).</summary>
    public bool Rcps { get; set; }

    /// <summary>A run folder of an earlier <c>pretrain</c> job whose model to load (its shape overrides the fields above).</summary>
    [JobPath(JobPathKind.Directory)]
    public string? Weights { get; set; }

    /// <summary>The model shape these options describe.</summary>
    public DnaModelSpec ToSpec() => new(Objective, Layers ?? (Objective == Objective.Causal ? "M1,M1,M1,M1" : "BM,BM,BM,BM"), DModel, DState, AttentionHeads, Rcps);
}

/// <summary>
/// Pretraining: 5 epochs of 100 steps of 16 random windows, warm-up over the first epoch, cosine to a tenth of the
/// peak, weight decay 0.1; the epoch with the lowest validation bits per base is kept.
/// </summary>
public sealed class GenomicsTrainingOptions : TrainingSection
{
    /// <summary>The pretraining defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public GenomicsTrainingOptions()
    {
        Epochs = 5;
        BatchSize = 16;
        LearningRate = 2e-3;
        WarmupEpochs = 1;
        WeightDecay = 0.1;
    }

    /// <summary>Bases per training window.</summary>
    [Range(8, 1 << 20)]
    public int Window { get; set; } = 1024;

    /// <summary>Optimizer steps per epoch (windows are random crops, new each epoch).</summary>
    [Range(1, 1_000_000)]
    public int StepsPerEpoch { get; set; } = 100;

    /// <summary>Masked objective: share of bases selected for prediction.</summary>
    [Range(0.01, 0.9)]
    public double MaskRate { get; set; } = 0.15;

    /// <summary>Bases scored per validation pass.</summary>
    [Range(1, int.MaxValue)]
    public int ValidationBases { get; set; } = 65_536;
}

/// <summary>Streaming evaluation and the Markov baseline.</summary>
public sealed class GenomicsEvaluationOptions
{
    /// <summary>Tokens per streamed chunk (memory depends on this, not on the sequence length).</summary>
    [Range(1, 1 << 20)]
    public int Chunk { get; set; } = 4096;

    /// <summary>Largest Markov order tried (the best on validation is reported).</summary>
    [Range(0, 12)]
    public int MaxMarkovOrder { get; set; } = 12;

    /// <summary>Additive smoothing of the Markov model.</summary>
    [Range(1e-6, 100.0)]
    public double MarkovAlpha { get; set; } = 1.0;

    /// <summary><c>embed</c>: average each sequence's embedding with its reverse complement's.</summary>
    public bool StrandAverage { get; set; }
}

/// <summary>Where <c>classify</c> gets labelled sequences.</summary>
public enum ClassificationSource
{
    /// <summary>Records labelled in their FASTA description (<c>label=CLASS</c>); a random split by record.</summary>
    LabelledFasta,

    /// <summary>
    /// Upstream regions (UCSC <c>upstreamN</c> files): the last <c>windowLength</c> bases before the TSS are "promoter",
    /// the first <c>windowLength</c> bases "distal"; records with overlapping coordinates share a split.
    /// </summary>
    PromoterWindows,
}

/// <summary>
/// Sequence classification, and how the classifier is fine-tuned: 20 epochs at most, warm-up over the first, cosine to
/// 5 % of the peak, early stopping after 5 epochs without a better validation loss (that epoch's weights are kept).
/// </summary>
public sealed class GenomicsClassifyOptions : TrainingSection
{
    /// <summary>The fine-tuning defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public GenomicsClassifyOptions()
    {
        Epochs = 20;
        MinLearningRateRatio = 0.05;
        WarmupEpochs = 1;
        Patience = 5;
    }

    /// <summary>Where the labelled sequences come from.</summary>
    public ClassificationSource Source { get; set; } = ClassificationSource.LabelledFasta;

    /// <summary>Promoter windows: bases per window.</summary>
    [Range(8, 100_000)]
    public int WindowLength { get; set; } = 300;

    /// <summary>Share of records (or overlap groups) for training.</summary>
    [Range(0.05, 0.95)]
    public double TrainFraction { get; set; } = 0.7;

    /// <summary>Share for validation (threshold-free model selection by loss); the rest is the test set.</summary>
    [Range(0.0, 0.9)]
    public double ValidationFraction { get; set; } = 0.15;

    /// <summary>Dropout before the classifier head.</summary>
    [Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.1;

    /// <summary>
    /// Epochs of self-supervised pretraining (the model's own objective: masked or next-base) on the training split's
    /// sequences before fine-tuning; 0 to fine-tune straight away. Only training sequences are seen, so nothing leaks.
    /// </summary>
    [Range(0, 10_000)]
    public int PretrainEpochs { get; set; }

    /// <summary>Caduceus' RC conjoin: average the logits of each sequence and its reverse complement.</summary>
    public bool RcConjoin { get; set; }

    /// <summary>Largest k of the k-mer logistic-regression baseline (k = 1…this; the best on validation is used).</summary>
    [Range(1, 6)]
    public int MaxKmer { get; set; } = 6;
}

/// <summary>Variant effect scoring.</summary>
public sealed class GenomicsVariantOptions
{
    /// <summary>
    /// The variants, relative to the job file: a VCF (<c>.vcf</c> or <c>.vcf.gz</c>; CHROM names a sequence record, POS is
    /// 1-based, REF is checked against the sequence, and indels are left out), or a CSV <c>record,position,ref,alt</c>
    /// with 1-based positions.
    /// </summary>
    [JobPath(JobPathKind.File)]
    public string? File { get; set; }

    /// <summary>Bases of context on each side of the variant.</summary>
    [Range(1, 1 << 20)]
    public int Context { get; set; } = 512;
}

/// <summary>Sampling.</summary>
public sealed class GenomicsGenerateOptions
{
    /// <summary>Sequences to sample.</summary>
    [Range(1, 10_000)]
    public int Count { get; set; } = 4;

    /// <summary>Bases per sampled sequence.</summary>
    [Range(1, 10_000_000)]
    public int Length { get; set; } = 500;

    /// <summary>Softmax temperature (lower: more conservative).</summary>
    [Range(0.01, 10.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Bases to continue from (A, C, G, T); empty: start from BOS.</summary>
    public string Prompt { get; set; } = "";

    /// <summary>Sampling seed.</summary>
    public int Seed { get; set; }
}

/// <summary>Options of the genomics plugin's tasks.</summary>
public sealed class GenomicsJobOptions
{
    /// <summary>Sequences and regions.</summary>
    [Required]
    public GenomicsDataOptions Data { get; set; } = new();

    /// <summary>The model.</summary>
    public GenomicsModelOptions Model { get; set; } = new();

    /// <summary>Pretraining.</summary>
    public GenomicsTrainingOptions Training { get; set; } = new();

    /// <summary>Evaluation and embedding.</summary>
    [UsedBy("evaluate", "embed")]
    public GenomicsEvaluationOptions Evaluation { get; set; } = new();

    /// <summary>Classification.</summary>
    [UsedBy("classify")]
    public GenomicsClassifyOptions Classify { get; set; } = new();

    /// <summary>Variant scoring.</summary>
    [UsedBy("score-variants")]
    public GenomicsVariantOptions Variants { get; set; } = new();

    /// <summary>Sampling.</summary>
    [UsedBy("generate")]
    public GenomicsGenerateOptions Generate { get; set; } = new();
}
