using System.ComponentModel.DataAnnotations;
using Mamba.Retrieval.Dense;
using Mamba.Sdk.Jobs;
using Mamba.Sdk.Training;

namespace Mamba.Retrieval;

/// <summary>How the data files make a retrieval set.</summary>
public enum DataFormat
{
    /// <summary>A corpus, a query file and relevance judgments.</summary>
    Files,

    /// <summary>A plain-text FAQ with numbered sections: its questions are the queries, their answers the passages.</summary>
    FaqText,

    /// <summary>A corpus with titles: each title is a query whose relevant passage is its own text (without the title).</summary>
    Titles,

    /// <summary>Paragraphs for the inverse cloze task, split into training and held-out groups (<see cref="RetrievalDataOptions.GroupField"/>).</summary>
    InverseCloze,
}

/// <summary>What the encoder learns from.</summary>
public enum TrainingSignal
{
    /// <summary>The data's judgments when it has them (format <c>files</c>), else <c>training.pairs</c> when set, else inverse cloze.</summary>
    Auto,

    /// <summary>The data's own queries and relevance judgments (format <c>files</c>): each judged-relevant passage is a positive.</summary>
    Judgments,

    /// <summary>The supervised pairs of <c>training.pairs</c>.</summary>
    Pairs,

    /// <summary>Inverse cloze on the data's paragraphs: no labels needed.</summary>
    InverseCloze,
}

/// <summary>How hybrid search combines the BM25 and dense rankings.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal-rank fusion: Σ wᵢ / (k + rankᵢ).</summary>
    Rrf,

    /// <summary>Convex combination of min-max normalised scores: Σ wᵢ · normalised scoreᵢ.</summary>
    Convex,
}

/// <summary>Where the data is and how to read it.</summary>
public sealed class RetrievalDataOptions
{
    /// <summary>How the files make a retrieval set.</summary>
    [UsedBy("train", "evaluate")]
    public DataFormat Format { get; set; } = DataFormat.Files;

    /// <summary>Corpus (JSONL, Parquet or a folder of .txt files; the FAQ text for <c>faq-text</c>), relative to the job file.</summary>
    [JobPath(JobPathKind.FileOrDirectory)]
    public string? Corpus { get; set; }

    /// <summary><c>files</c>: query file (JSONL <c>{id, text}</c> or TSV).</summary>
    [JobPath(JobPathKind.File)]
    [UsedBy("train", "evaluate", "search")]
    public string? Queries { get; set; }

    /// <summary><c>files</c>: relevance judgments (TREC qrels or JSONL <c>{query, passage, relevance}</c>).</summary>
    [JobPath(JobPathKind.File)]
    [UsedBy("train", "evaluate")]
    public string? Judgments { get; set; }

    /// <summary>Corpus field holding the id.</summary>
    [Required(AllowEmptyStrings = false)]
    public string IdField { get; set; } = "id";

    /// <summary>Corpus field holding the title (may be absent).</summary>
    [Required(AllowEmptyStrings = false)]
    public string TitleField { get; set; } = "title";

    /// <summary>Corpus field holding the text.</summary>
    [Required(AllowEmptyStrings = false)]
    public string TextField { get; set; } = "text";

    /// <summary>
    /// <c>inverse-cloze</c>: field that groups paragraphs (an address, a document); whole groups go to training or held
    /// out. Optional: a paragraph without it is a group of its own.
    /// </summary>
    [UsedBy("train", "evaluate")]
    public string GroupField { get; set; } = "group";

    /// <summary>
    /// Every k-th group (in sorted order) is held out: of the paragraphs for <c>inverse-cloze</c>, of the queries when
    /// <c>evaluate</c> trains on the data's judgments (it then scores only the held-out queries).
    /// </summary>
    [Range(2, 100)]
    [UsedBy("train", "evaluate")]
    public int HeldOutEvery { get; set; } = 5;

    /// <summary>The corpus path, resolved; the tasks that read data call it.</summary>
    internal string CorpusPath(Mamba.Sdk.Jobs.JobContext context) =>
        context.ResolvePath(Corpus ?? throw new Mamba.Sdk.Jobs.JobOptionsException("options.data.corpus", "name the corpus (a JSONL or Parquet file, a folder of .txt files, or an FAQ text)"));
}

/// <summary>The dense encoder.</summary>
public sealed class RetrievalModelOptions
{
    /// <summary>Layer pattern of the core backbone (causal: M1, M2 or A layers).</summary>
    [Required(AllowEmptyStrings = false)]
    public string Layers { get; set; } = "M1,M1,M1,M1";

    /// <summary>d_model.</summary>
    [Range(8, 4096)]
    public int DModel { get; set; } = 128;

    /// <summary>SSM state size N.</summary>
    [Range(1, 256)]
    public int DState { get; set; } = 16;

    /// <summary>End-token (the paper) or mean pooling.</summary>
    public Pooling Pooling { get; set; } = Pooling.Last;

    /// <summary>Lower-case texts before tokenising (as BM25's analyzer does).</summary>
    public bool Lowercase { get; set; } = true;

    /// <summary>Tokens read per text in training and batch encoding (end token included).</summary>
    [Range(16, 1 << 20)]
    public int MaxTokens { get; set; } = 512;

    /// <summary>
    /// Tokens: absent for UTF-8 bytes; <c>r50k_base</c> for GPT-2's byte-level BPE (bundled); or a WordPiece vocabulary
    /// (<c>vocab.txt</c>, one token per line), relative to the job file.
    /// </summary>
    [JobPath(JobPathKind.File)]
    public string? Vocabulary { get; set; }

    /// <summary>Longer passages are encoded whole, through the recurrent state in chunks of this many tokens, instead of cut.</summary>
    [Range(0, 1 << 20)]
    public int StreamChunk { get; set; } = 4096;

    /// <summary>A run folder of an earlier <c>train</c> job whose encoder to load instead of training.</summary>
    [JobPath(JobPathKind.Directory)]
    [UsedBy("evaluate", "index")]
    public string? Weights { get; set; }
}

/// <summary>
/// Contrastive training: 4 epochs of InfoNCE, warm-up over the first half epoch, cosine to a tenth of the peak; the
/// epoch with the lowest held-out InfoNCE loss is kept.
/// </summary>
public sealed class RetrievalTrainingOptions : TrainingSection, IValidatableObject
{
    /// <summary>The retrieval defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public RetrievalTrainingOptions()
    {
        Epochs = 4;
        WarmupEpochs = 0.5;
    }

    /// <summary>InfoNCE temperature.</summary>
    [Range(1e-3, 10.0)]
    public double Temperature { get; set; } = 0.05;

    /// <summary>Add one BM25-mined hard negative per query (the best BM25 hit that is not the positive).</summary>
    public bool HardNegatives { get; set; } = true;

    /// <summary>Inverse cloze: probability that the query sentence stays in its context.</summary>
    [Range(0.0, 1.0)]
    public double KeepSentence { get; set; } = 0.1;

    /// <summary>Next-token pretraining steps on the training paragraphs before contrastive training (0: none).</summary>
    [Range(0, 1_000_000)]
    public int PretrainSteps { get; set; }

    /// <summary>
    /// <c>evaluate</c> and <c>index</c> with <c>model.weights</c>: epochs of inverse-cloze training on the passages of
    /// the corpus being searched before encoding it (unlabelled text only: unsupervised domain adaptation); 0: none.
    /// </summary>
    [Range(0, 1000)]
    [UsedBy("evaluate", "index")]
    public int AdaptEpochs { get; set; }

    /// <summary>Peak learning rate of the adaptation epochs.</summary>
    [Range(1e-6, 1.0)]
    [UsedBy("evaluate", "index")]
    public double AdaptLearningRate { get; set; } = 3e-4;

    /// <summary>
    /// What the encoder learns from: by default the data's judgments when it has them (the first choice: real queries
    /// and real relevance), else <see cref="Pairs"/> when set, else inverse cloze on its paragraphs.
    /// </summary>
    [UsedBy("train", "evaluate")]
    public TrainingSignal From { get; set; } = TrainingSignal.Auto;

    /// <summary>Supervised pairs (JSONL <c>{query, positive, negative?}</c>) used instead of inverse-cloze pairs.</summary>
    [JobPath(JobPathKind.File)]
    [UsedBy("train", "evaluate")]
    public string? Pairs { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // InfoNCE's negatives are the other queries' passages in the batch.
        if (BatchSize < 2) yield return new ValidationResult($"batchSize is {BatchSize}; contrastive training needs at least 2 queries a batch", [nameof(BatchSize)]);
    }
}

/// <summary>Searching.</summary>
public sealed class SearchOptions
{
    /// <summary><c>search</c>: one query text (instead of a query file).</summary>
    [UsedBy("search")]
    public string? Query { get; set; }

    /// <summary><c>search</c>: a run folder of an <c>index</c> job.</summary>
    [JobPath(JobPathKind.Directory)]
    [UsedBy("index", "search")]
    public string? Index { get; set; }

    /// <summary>Hits kept per query.</summary>
    [Range(1, 10_000)]
    public int TopK { get; set; } = 100;

    /// <summary>Reciprocal-rank fusion constant k.</summary>
    [Range(1, 10_000)]
    public int FusionK { get; set; } = 60;

    /// <summary>
    /// <c>search</c>: how its hybrid list fuses BM25 and dense hits (<c>evaluate</c> reports both). Absent: the method
    /// that did better on the encoder's training run's held-out validation queries (reciprocal-rank fusion if none).
    /// </summary>
    [UsedBy("search")]
    public FusionMethod? Fusion { get; set; }

    /// <summary>
    /// Weight of the dense ranking in the fusion (BM25's is 1; 1 is plain reciprocal-rank fusion). Absent: the weight the
    /// encoder's training run chose for that fusion method on its held-out validation queries.
    /// </summary>
    [Range(0.0, 100.0)]
    public double? DenseWeight { get; set; }

    /// <summary>BM25 k1.</summary>
    [Range(0.0, 10.0)]
    public double K1 { get; set; } = 0.9;

    /// <summary>BM25 b.</summary>
    [Range(0.0, 1.0)]
    public double B { get; set; } = 0.4;
}

/// <summary><c>bench</c>: encoding throughput against length.</summary>
public sealed class RetrievalBenchOptions
{
    /// <summary>Document lengths in tokens.</summary>
    public int[] Lengths { get; set; } = [512, 2048, 8192, 32768];

    /// <summary>Documents encoded per measurement (one batch).</summary>
    [Range(1, 1024)]
    public int Documents { get; set; } = 4;

    /// <summary>Measurements per cell; the median is reported.</summary>
    [Range(1, 100)]
    public int Repeats { get; set; } = 3;

    /// <summary>Untimed passes per model and length until this many seconds have gone by (at least one pass).</summary>
    [Range(0.0, 600.0)]
    public double WarmUpSeconds { get; set; } = 2;

    /// <summary>A model whose first warm-up pass at a length takes longer than this is reported as over the limit there, and its longer lengths are skipped.</summary>
    [Range(1, 3600)]
    public double TimeLimitSeconds { get; set; } = 120;
}

/// <summary>Options of every retrieval task.</summary>
public sealed class RetrievalJobOptions
{
    /// <summary>Data.</summary>
    [UsedBy("train", "evaluate", "index", "search")]
    public RetrievalDataOptions Data { get; set; } = new();

    /// <summary>Encoder.</summary>
    [UsedBy("train", "evaluate", "index", "bench")]
    public RetrievalModelOptions Model { get; set; } = new();

    /// <summary>Training.</summary>
    [UsedBy("train", "evaluate", "index")]
    public RetrievalTrainingOptions Training { get; set; } = new();

    /// <summary>Searching.</summary>
    [UsedBy("train", "evaluate", "index", "search")]
    public SearchOptions Search { get; set; } = new();

    /// <summary>Benchmark.</summary>
    [UsedBy("bench")]
    public RetrievalBenchOptions Bench { get; set; } = new();
}
