using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Graphs.Models;

/// <summary>
/// Scalars passed to libtorch calls, kept alive for the process: a temporary <see cref="Scalar"/> made from a literal
/// at a call site can be finalized by the GC while the native call still reads it.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar One = 1;

    public static readonly Scalar Tiny = 1e-9;
}

/// <summary>Edges of a (batched) graph as tensors: messages flow source → target, scaled by a per-edge weight.</summary>
public sealed class EdgeTensors : IDisposable
{
    private readonly Tensor matrix;

    /// <summary>Creates the edge tensors and the (target × source) sparse matrix <see cref="Aggregate"/> multiplies by.</summary>
    public EdgeTensors(long nodes, int[] source, int[] target, float[] weight)
    {
        // Every temporary in a scope: one left to the GC could be finalized while libtorch still reads it.
        using var scope = NewDisposeScope();
        Nodes = nodes;
        Source = tensor(source.Select(i => (long)i).ToArray()).MoveToOuterDisposeScope();
        Target = tensor(target.Select(i => (long)i).ToArray()).MoveToOuterDisposeScope();
        Weight = tensor(weight).MoveToOuterDisposeScope();
        matrix = sparse_coo_tensor(stack([Target, Source]), Weight.clone(), [nodes, nodes]).MoveToOuterDisposeScope();
    }

    /// <summary>Number of receiving rows.</summary>
    public long Nodes { get; }

    /// <summary>(E) source rows.</summary>
    public Tensor Source { get; }

    /// <summary>(E) target rows.</summary>
    public Tensor Target { get; }

    /// <summary>(E) weights.</summary>
    public Tensor Weight { get; }

    /// <summary>Σ over incoming edges of weight · h[source], per target: (Nodes, D) → (Nodes, D), as one sparse product.</summary>
    public Tensor Aggregate(Tensor h) => matrix.to_type(h.dtype).mm(h);

    /// <inheritdoc/>
    public void Dispose()
    {
        matrix.Dispose();
        Source.Dispose();
        Target.Dispose();
        Weight.Dispose();
    }
}

/// <summary>One graph convolution (Kipf and Welling): h' = ReLU(Â h W) with Â the normalised adjacency with self-loops.</summary>
public sealed class GcnLayer : nn.Module<Tensor, EdgeTensors, Tensor>
{
    private readonly Linear linear;

    /// <summary>Creates the layer.</summary>
    public GcnLayer(long inputDim, long outputDim) : base(nameof(GcnLayer))
    {
        linear = nn.Linear(inputDim, outputDim);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor h, EdgeTensors edges) => edges.Aggregate(linear.forward(h));
}

/// <summary>
/// Gated graph convolution (Bresson and Laurent, as in GraphGPS): edge gates ê_ij = C e + D h_i + E h_j from a learned
/// edge state e (the graphs here have no edge features), η_ij = σ(ê_ij) / Σ_j σ(ê_ij), h_i' = h_i + ReLU(A h_i + Σ_j η_ij ⊙ B h_j).
/// </summary>
public sealed class GatedGcnLayer : nn.Module<Tensor, EdgeTensors, Tensor>
{
    private readonly Linear a, b, d, e;
    private readonly Parameter edgeGate;

    /// <summary>Creates the layer.</summary>
    public GatedGcnLayer(long dim) : base(nameof(GatedGcnLayer))
    {
        a = nn.Linear(dim, dim);
        b = nn.Linear(dim, dim);
        d = nn.Linear(dim, dim);
        e = nn.Linear(dim, dim);
        edgeGate = nn.Parameter(zeros(dim));
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor h, EdgeTensors edges)
    {
        var gate = nn.functional.sigmoid(edgeGate + d.forward(h).index_select(0, edges.Target) + e.forward(h).index_select(0, edges.Source)); // (E, D)
        var weighted = zeros(edges.Nodes, h.shape[1]).index_add_(0, edges.Target, gate * b.forward(h).index_select(0, edges.Source), Scalars.One);
        var total = zeros(edges.Nodes, h.shape[1]).index_add_(0, edges.Target, gate, Scalars.One);
        return h + nn.functional.relu(a.forward(h) + weighted / total.add(Scalars.Tiny));
    }
}
