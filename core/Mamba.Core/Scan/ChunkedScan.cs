using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>
/// Device-agnostic scans built from whole-tensor libtorch ops and differentiated by libtorch: the path that runs
/// on CUDA and on any dtype. Mamba-1 scans each chunk with a log-depth (Hillis–Steele) scan and carries the state
/// between chunks; Mamba-2 uses the four-step SSD algorithm (intra-chunk masked matmuls, chunk states,
/// inter-chunk recurrence, state-to-output).
/// </summary>
[ScanKernel("chunked", Priority = 50)]
public sealed class ChunkedScan : IScanKernel
{
    /// <summary>Time steps per Mamba-1 chunk: bounds the (B, D, chunk, N) working set.</summary>
    public const int SelectiveChunkLength = 64;

    /// <inheritdoc />
    public string? WhyUnsupported(in ScanProblem problem) => null;

    /// <inheritdoc />
    public SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        var type = ScanMath.ComputeType(inputs.U);
        using var scope = NewDisposeScope();

        var u = inputs.U.to_type(type);
        var delta = ScanMath.StepSize(inputs.Delta, inputs.DeltaBias, inputs.DeltaSoftplus, type, biasDim: 1);
        var a = inputs.A.to_type(type).unsqueeze(1);                                   // (D, 1, N)
        var b = ScanMath.PerChannel(inputs.B, shape.Channels, type).transpose(-1, -2); // (B, D, L, N)
        var c = ScanMath.PerChannel(inputs.C, shape.Channels, type).transpose(-1, -2);
        var h = inputs.InitialState?.to_type(type) ?? zeros([shape.Batch, shape.Channels, shape.StateSize], type, u.device);

        var ys = new List<Tensor>();
        for (long start = 0; start < shape.Length; start += SelectiveChunkLength)
        {
            long end = Math.Min(start + SelectiveChunkLength, shape.Length);
            // Each chunk's temporaries are freed as it ends (autograd keeps what it needs natively).
            using var chunkScope = NewDisposeScope();
            var steps = TensorIndex.Slice(start, end);
            var dl = delta[.., .., steps].unsqueeze(-1);                             // (B, D, Q, 1)
            var decay = (dl * a).exp();                                              // ΔA: (B, D, Q, N)
            var drive = dl * u[.., .., steps].unsqueeze(-1) * b[.., .., steps];
            var (prefixDecay, prefixState) = InclusiveScan(decay, drive);
            var states = prefixDecay * h.unsqueeze(2) + prefixState;                 // h_l for l in the chunk
            ys.Add((states * c[.., .., steps]).sum(-1).MoveToOuterDisposeScope());  // (B, D, Q)
            h = states[.., .., -1].MoveToOuterDisposeScope();
        }
        var y = cat(ys, dim: -1);
        var output = ScanMath.SkipAndGate(y, u, inputs.D, inputs.Z, type).to_type(inputs.U.dtype);
        return new SelectiveScanOutput(output.MoveToOuterDisposeScope(), inputs.ReturnFinalState ? h.MoveToOuterDisposeScope() : null);
    }

    /// <summary>
    /// Inclusive scan along dim 2 of the affine maps h ↦ a·h + b, composed in time order:
    /// (a₁, b₁) then (a₂, b₂) is (a₂a₁, a₂b₁ + b₂). Returns the prefix products and the prefix states from h = 0.
    /// </summary>
    private static (Tensor Decay, Tensor State) InclusiveScan(Tensor a, Tensor b)
    {
        long q = a.shape[2];
        for (long offset = 1; offset < q; offset *= 2)
        {
            var earlierA = nn.functional.pad(a[.., .., ..(int)(q - offset)], [0, 0, offset, 0], value: 1.0);
            var earlierB = nn.functional.pad(b[.., .., ..(int)(q - offset)], [0, 0, offset, 0], value: 0.0);
            b = a * earlierB + b;
            a = a * earlierA;
        }
        return (a, b);
    }

    /// <inheritdoc />
    public SsdScanOutput Ssd(SsdScanInputs inputs)
    {
        var shape = ScanValidation.Validate(inputs);
        var type = ScanMath.ComputeType(inputs.X);
        using var scope = NewDisposeScope();
        long q = Math.Min(inputs.ChunkSize, shape.Length);
        long chunks = (shape.Length + q - 1) / q, padded = chunks * q, pad = padded - shape.Length;
        long bsz = shape.Batch, heads = shape.Heads, p = shape.HeadDim, n = shape.StateSize;

        var x = inputs.X.to_type(type);
        var dt = ScanMath.StepSize(inputs.Dt, inputs.DtBias, inputs.DtSoftplus, type, biasDim: 2); // (b, l, h)
        var b = ScanMath.PerHead(inputs.B, heads, type);
        var c = ScanMath.PerHead(inputs.C, heads, type);
        // Padding steps have dt = 0: decay 1 and no input, so they leave the state unchanged.
        if (pad > 0)
        {
            dt = nn.functional.pad(dt, [0, 0, 0, pad]);
            b = nn.functional.pad(b, [0, 0, 0, 0, 0, pad]);
            c = nn.functional.pad(c, [0, 0, 0, 0, 0, pad]);
        }
        var xp = nn.functional.pad(x, [0, 0, 0, 0, 0, pad]);
        var xdt = (xp * dt.unsqueeze(-1)).view(bsz, chunks, q, heads, p);              // δ·x: (b, c, l, h, p)
        var bc = b.view(bsz, chunks, q, heads, n);
        var cc = c.view(bsz, chunks, q, heads, n);
        var logDecay = (dt * inputs.A.to_type(type)).view(bsz, chunks, q, heads).permute(0, 3, 1, 2); // A·δ: (b, h, c, l)
        var cumulative = logDecay.cumsum(-1);

        // 1. Within each chunk: Y = (C Bᵀ ∘ exp(segsum(A·δ))) (δ·x), a masked matmul.
        var mask = SegmentSum(logDecay).exp();                                          // (b, h, c, l, s)
        var yDiag = einsum("bclhn,bcshn,bhcls,bcshp->bclhp", cc, bc, mask, xdt);

        // 2. The state each chunk leaves behind, from a zero start.
        var decayToEnd = (cumulative[.., .., .., ^1..] - cumulative).exp();           // (b, h, c, l)
        var chunkStates = einsum("bclhn,bhcl,bclhp->bchpn", bc, decayToEnd, xdt);       // (b, c, h, p, n)

        // 3. Carry states across chunks, starting from the initial state.
        var initial = inputs.InitialStates?.to_type(type) ?? zeros([bsz, heads, p, n], type, x.device);
        var withInitial = cat([initial.unsqueeze(1), chunkStates], dim: 1);            // (b, c+1, h, p, n)
        var chunkDecay = SegmentSum(nn.functional.pad(cumulative[.., .., .., -1], [1, 0])).exp(); // (b, h, c+1, c+1)
        var carried = einsum("bhzc,bchpn->bzhpn", chunkDecay, withInitial);
        var entering = carried[.., ..(int)chunks];                                      // state entering each chunk
        var final = carried[.., -1];

        // 4. What the entering state contributes to each output in its chunk.
        var yOff = einsum("bclhn,bchpn,bhcl->bclhp", cc, entering, cumulative.exp());

        var y = (yDiag + yOff).reshape(bsz, padded, heads, p)[.., ..(int)shape.Length];
        if (inputs.D is { } d) y = y + d.to_type(type).view(1, 1, -1, 1) * x;
        return new SsdScanOutput(y.to_type(inputs.X.dtype).MoveToOuterDisposeScope(), inputs.ReturnFinalStates ? final.MoveToOuterDisposeScope() : null);
    }

    /// <summary>segsum(a)[..., i, j] = a[j+1] + … + a[i] for i ≥ j, −∞ above the diagonal; by a masked cumulative sum, which stays stable.</summary>
    private static Tensor SegmentSum(Tensor a)
    {
        long t = a.shape[^1];
        var repeated = a.unsqueeze(-1).expand([.. a.shape, t]);                        // [..., i, j] = a[i]
        var strictlyLower = ones(t, t, ScalarType.Bool, a.device).tril(-1);
        var sums = repeated.masked_fill(strictlyLower.logical_not(), 0).cumsum(-2);
        var lower = ones(t, t, ScalarType.Bool, a.device).tril(0);
        return sums.masked_fill(lower.logical_not(), double.NegativeInfinity);
    }
}
