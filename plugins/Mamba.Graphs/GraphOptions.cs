using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Mamba.Sdk.Jobs;
using Mamba.Sdk.Training;

namespace Mamba.Graphs;

/// <summary>Where the graph is and how to read it.</summary>
public sealed class GraphDataOptions
{
    /// <summary>Edge list (<c>source,target[,weight]</c>), CSV or Parquet, relative to the job file.</summary>
    [Required(AllowEmptyStrings = false), Description("Edge list: CSV or Parquet with source, target and optional weight columns.")]
    [JobPath(JobPathKind.File)]
    public string Edges { get; set; } = "";

    /// <summary>The edge list's column of edge sources (with a header).</summary>
    [Required(AllowEmptyStrings = false), Description("Edge-list column of edge sources (e.g. from).")]
    public string SourceColumn { get; set; } = "source";

    /// <summary>The edge list's column of edge targets (with a header).</summary>
    [Required(AllowEmptyStrings = false), Description("Edge-list column of edge targets (e.g. to).")]
    public string TargetColumn { get; set; } = "target";

    /// <summary>
    /// False for a text edge list without a header (SNAP, KONECT, PyG dumps): each line's first two fields, separated by
    /// commas, tabs or spaces, are source and target, and lines starting with <c>#</c> or <c>%</c> are comments.
    /// </summary>
    [Description("false: a headerless edge list, the first two fields of each line (comma, tab or space separated); # and % lines are comments.")]
    public bool Header { get; set; } = true;

    /// <summary>Node table (id, label, optional split), CSV or Parquet, relative to the job file.</summary>
    [Required(AllowEmptyStrings = false), Description("Node table: CSV or Parquet with an id column, a label column and optional split column.")]
    [JobPath(JobPathKind.File)]
    public string Nodes { get; set; } = "";

    /// <summary>Node id column of the node table.</summary>
    [Required(AllowEmptyStrings = false)]
    public string IdColumn { get; set; } = "id";

    /// <summary>Class label column of the node table (empty cells: unlabelled nodes).</summary>
    [Required(AllowEmptyStrings = false)]
    public string LabelColumn { get; set; } = "label";

    /// <summary>Optional column holding <c>train</c>/<c>val</c>/<c>test</c> per node; without it splits are random per seed.</summary>
    public string? SplitColumn { get; set; }

    /// <summary>
    /// Numeric node-table columns used as node features, standardised, beside the structural ones: a list of names, or
    /// <c>["*"]</c> for every column other than the id, label and split columns whose every cell is a number.
    /// </summary>
    [Description("Numeric node-table columns to use as node features: names, or [\"*\"] for every numeric column other than id, label and split; default none.")]
    public string[] FeatureColumns { get; set; } = [];

    /// <summary>Keep edge directions; by default edges are made undirected (as GCN and GMN use them).</summary>
    public bool Directed { get; set; }

    /// <summary>Keep only the largest (weakly) connected component.</summary>
    public bool LargestComponent { get; set; }
}

/// <summary>Random node splits, drawn per seed when the node table has no split column.</summary>
public sealed class SplitOptions : IValidatableObject
{
    /// <summary>Share of labelled nodes for training.</summary>
    [Range(0.01, 0.98)]
    public double Train { get; set; } = 0.6;

    /// <summary>Share of labelled nodes for validation (model selection); the rest is the test set.</summary>
    [Range(0.01, 0.98)]
    public double Validation { get; set; } = 0.2;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Train + Validation >= 1) yield return new ValidationResult("train + validation must leave a test share", [nameof(Train), nameof(Validation)]);
    }
}

/// <summary>
/// Node features: structural ones computed from the graph (all the bundled graphs have), and the node table's own
/// numeric columns named by <see cref="GraphDataOptions.FeatureColumns"/>.
/// </summary>
public sealed class FeatureOptions
{
    /// <summary>
    /// Compute the structural features (log degree, random-walk returns, Laplacian eigenvectors). They need a dense
    /// N × N eigendecomposition, so graphs beyond 20,000 nodes must turn them off and bring node features instead.
    /// </summary>
    [Description("Compute structural features (degree, random-walk returns, Laplacian eigenvectors; at most 20,000 nodes); false: node-table features only.")]
    public bool Structural { get; set; } = true;

    /// <summary>Random-walk structural encoding: return probabilities after 1…K steps.</summary>
    [Range(0, 64)]
    public int RandomWalkSteps { get; set; } = 16;

    /// <summary>Laplacian eigenvector positional encoding: the K eigenvectors after the trivial one.</summary>
    [Range(0, 64)]
    public int LaplacianVectors { get; set; } = 8;

    /// <summary>
    /// Flip the Laplacian eigenvectors' signs at random in each GMN training epoch (eigenvectors have no sign), as
    /// GraphGPS does. Off by default: the features carry canonical signs (largest entry positive), which do not depend
    /// on node order either, and on the bundled graphs the augmentation costs accuracy (docs/results/graphs.md).
    /// </summary>
    public bool SignFlip { get; set; }
}

/// <summary>Local encoder of GMN's neighbourhood tokens.</summary>
public enum LocalEncoder
{
    /// <summary>Graph convolution (Kipf and Welling) on each token's subgraph.</summary>
    Gcn,

    /// <summary>Gated graph convolution (Bresson and Laurent) on each token's subgraph.</summary>
    GatedGcn,
}

/// <summary>The Graph Mamba Network.</summary>
public sealed class GmnOptions
{
    /// <summary>Hidden width.</summary>
    [Range(4, 1024)]
    public int DModel { get; set; } = 64;

    /// <summary>m: tokens come from walks of length 0…m.</summary>
    [Range(1, 16)]
    public int WalkLength { get; set; } = 4;

    /// <summary>M: walks sampled per length; a token is the subgraph induced by their nodes.</summary>
    [Range(1, 64)]
    public int WalksPerLength { get; set; } = 8;

    /// <summary>Message-passing layer inside each token.</summary>
    public LocalEncoder LocalEncoder { get; set; } = LocalEncoder.Gcn;

    /// <summary>Bidirectional Mamba layers over each node's token sequence.</summary>
    [Range(1, 8)]
    public int MambaLayers { get; set; } = 1;

    /// <summary>
    /// Adds a Graph-Mamba layer after the token encoder: a graph convolution over the whole graph plus a bidirectional
    /// Mamba over all nodes ordered by degree (random tie-breaking; evaluation averages several orderings). Off by default:
    /// on the bundled graphs it does not beat the token encoder alone (docs/results/graphs.md).
    /// </summary>
    public bool GlobalLayer { get; set; }

    /// <summary>Walk samples and node orderings averaged at evaluation.</summary>
    [Range(1, 32)]
    public int EvaluationSamples { get; set; } = 4;

    /// <summary>Dropout on hidden features.</summary>
    [Range(0.0, 0.9)]
    public double Dropout { get; set; } = 0.2;

    /// <summary>SSM state size N.</summary>
    [Range(1, 256)]
    public int DState { get; set; } = 16;

    /// <summary>A run folder of an earlier <c>train</c> job whose model to load instead of training.</summary>
    [JobPath(JobPathKind.Directory)]
    public string? Weights { get; set; }
}

/// <summary>
/// Full-batch training, shared by GMN and the GCN baseline: each epoch is one step over the whole graph (the batch
/// size does not apply). 200 epochs at most, warm-up over the first 10, cosine to a tenth of the peak, β₂ 0.999, early
/// stopping after 50 epochs without a better validation loss (the best epoch's weights are kept). The seed is the
/// first run's; run k uses seed + k (split, walks, initialisation).
/// </summary>
public sealed class GraphTrainingOptions : TrainingSection
{
    /// <summary>The graph defaults (the rest are <see cref="TrainingSection"/>'s).</summary>
    public GraphTrainingOptions()
    {
        Epochs = 200;
        LearningRate = 0.005;
        WarmupEpochs = 10;
        WeightDecay = 5e-4;
        Beta2 = 0.999;
        Patience = 50;
    }
}

/// <summary>Baselines on the same splits and features.</summary>
public sealed class GraphBaselineOptions
{
    /// <summary>Hidden width of the 2-layer GCN.</summary>
    [Range(2, 4096)]
    public int GcnHidden { get; set; } = 64;

    /// <summary>Dropout of the GCN (on its input and hidden layer).</summary>
    [Range(0.0, 0.9)]
    public double GcnDropout { get; set; } = 0.5;

    /// <summary>Label propagation's α (weight of the neighbours against the seed labels).</summary>
    [Range(0.0, 0.999)]
    public double PropagationAlpha { get; set; } = 0.9;

    /// <summary>Label propagation iterations.</summary>
    [Range(1, 10_000)]
    public int PropagationIterations { get; set; } = 50;
}

/// <summary>Options of the graphs plugin's tasks.</summary>
public sealed class GraphJobOptions
{
    /// <summary>The graph.</summary>
    [Required]
    public GraphDataOptions Data { get; set; } = new();

    /// <summary>Random splits.</summary>
    public SplitOptions Split { get; set; } = new();

    /// <summary>Structural features.</summary>
    public FeatureOptions Features { get; set; } = new();

    /// <summary>The GMN model.</summary>
    public GmnOptions Model { get; set; } = new();

    /// <summary>Training.</summary>
    public GraphTrainingOptions Training { get; set; } = new();

    /// <summary>Baselines.</summary>
    [UsedBy("evaluate")]
    public GraphBaselineOptions Baselines { get; set; } = new();

    /// <summary><c>evaluate</c>: runs (seeds and random splits) averaged.</summary>
    [Range(1, 100)]
    public int Runs { get; set; } = 5;
}
