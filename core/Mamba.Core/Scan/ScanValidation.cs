using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>Sizes of a validated selective scan: batch B, channels D, length L, state size N, groups G of B and C.</summary>
public readonly record struct SelectiveScanShape(long Batch, long Channels, long Length, long StateSize, long Groups);

/// <summary>Sizes of a validated SSD scan: batch b, length l, heads h, head dim p, groups g, state size n.</summary>
public readonly record struct SsdScanShape(long Batch, long Length, long Heads, long HeadDim, long Groups, long StateSize);

/// <summary>
/// Checks scan arguments before any kernel touches them, naming the argument at fault.
/// Kernels read raw memory, so a wrong shape must never reach them.
/// </summary>
public static class ScanValidation
{
    /// <summary>Validates <paramref name="inputs"/> and returns their sizes.</summary>
    /// <exception cref="ArgumentException">A shape, dtype or device mismatch, or (when <paramref name="checkFinite"/>) a NaN or infinity.</exception>
    public static SelectiveScanShape Validate(SelectiveScanInputs inputs, bool checkFinite = false)
    {
        var u = inputs.U;
        Require(u.dim() == 3, "u", $"expected (batch, channels, length), got {Describe(u)}");
        long batch = u.shape[0], channels = u.shape[1], length = u.shape[2];
        Require(length >= 1, "u", "the sequence is empty (length 0)");
        RequireFloating(u, "u");
        RequireShape(inputs.Delta, "delta", [batch, channels, length]);
        Require(inputs.A.dim() == 2 && inputs.A.shape[0] == channels, "A", $"expected (channels={channels}, N), got {Describe(inputs.A)}");
        long n = inputs.A.shape[1];
        Require(n >= 1, "A", "the state size N is 0");

        long groups = GroupsOf(inputs.B, "B", batch, channels, n, length);
        long groupsC = GroupsOf(inputs.C, "C", batch, channels, n, length);
        Require(groups == groupsC, "C", $"has {groupsC} groups but B has {groups}");

        if (inputs.D is { } d) RequireShape(d, "D", [channels]);
        if (inputs.Z is { } z) RequireShape(z, "z", [batch, channels, length]);
        if (inputs.DeltaBias is { } bias) RequireShape(bias, "delta_bias", [channels]);
        if (inputs.InitialState is { } h0) RequireShape(h0, "initial_state", [batch, channels, n]);

        foreach (var (name, tensor) in Named(inputs))
        {
            RequireFloating(tensor, name);
            Require(SameDevice(tensor, u), name, $"is on {tensor.device} but u is on {u.device}");
        }
        if (checkFinite) RequireFinite(Named(inputs));
        return new SelectiveScanShape(batch, channels, length, n, groups);
    }

    /// <summary>Validates <paramref name="inputs"/> and returns their sizes.</summary>
    /// <exception cref="ArgumentException">A shape, dtype or device mismatch, or (when <paramref name="checkFinite"/>) a NaN or infinity.</exception>
    public static SsdScanShape Validate(SsdScanInputs inputs, bool checkFinite = false)
    {
        var x = inputs.X;
        Require(x.dim() == 4, "x", $"expected (batch, length, heads, head_dim), got {Describe(x)}");
        long batch = x.shape[0], length = x.shape[1], heads = x.shape[2], headDim = x.shape[3];
        Require(length >= 1, "x", "the sequence is empty (length 0)");
        RequireShape(inputs.Dt, "dt", [batch, length, heads]);
        RequireShape(inputs.A, "A", [heads]);
        Require(inputs.B.dim() == 4 && inputs.B.shape[0] == batch && inputs.B.shape[1] == length,
            "B", $"expected (batch={batch}, length={length}, groups, N), got {Describe(inputs.B)}");
        long groups = inputs.B.shape[2], n = inputs.B.shape[3];
        Require(groups >= 1 && heads % groups == 0, "B", $"has {groups} groups, which must divide the {heads} heads");
        Require(n >= 1, "B", "the state size N is 0");
        RequireShape(inputs.C, "C", [batch, length, groups, n]);
        if (inputs.D is { } d) RequireShape(d, "D", [heads]);
        if (inputs.DtBias is { } bias) RequireShape(bias, "dt_bias", [heads]);
        if (inputs.InitialStates is { } h0) RequireShape(h0, "initial_states", [batch, heads, headDim, n]);
        Require(inputs.ChunkSize >= 1, "chunk_size", $"must be at least 1, got {inputs.ChunkSize}");

        foreach (var (name, tensor) in Named(inputs))
        {
            RequireFloating(tensor, name);
            Require(SameDevice(tensor, x), name, $"is on {tensor.device} but x is on {x.device}");
        }
        if (checkFinite) RequireFinite(Named(inputs));
        return new SsdScanShape(batch, length, heads, headDim, groups, n);
    }

    private static long GroupsOf(Tensor t, string name, long batch, long channels, long n, long length)
    {
        if (t.dim() == 3 && t.shape[0] == batch && t.shape[1] == n && t.shape[2] == length) return 1;
        if (t.dim() == 4 && t.shape[0] == batch && t.shape[2] == n && t.shape[3] == length)
        {
            long groups = t.shape[1];
            Require(groups >= 1 && channels % groups == 0, name, $"has {groups} groups, which must divide the {channels} channels");
            return groups;
        }
        throw new ArgumentException(
            $"{name}: expected (batch={batch}, N={n}, length={length}) or (batch={batch}, groups, N={n}, length={length}), got {Describe(t)}", name);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Named(SelectiveScanInputs i)
    {
        yield return ("u", i.U);
        yield return ("delta", i.Delta);
        yield return ("A", i.A);
        yield return ("B", i.B);
        yield return ("C", i.C);
        if (i.D is not null) yield return ("D", i.D);
        if (i.Z is not null) yield return ("z", i.Z);
        if (i.DeltaBias is not null) yield return ("delta_bias", i.DeltaBias);
        if (i.InitialState is not null) yield return ("initial_state", i.InitialState);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> Named(SsdScanInputs i)
    {
        yield return ("x", i.X);
        yield return ("dt", i.Dt);
        yield return ("A", i.A);
        yield return ("B", i.B);
        yield return ("C", i.C);
        if (i.D is not null) yield return ("D", i.D);
        if (i.DtBias is not null) yield return ("dt_bias", i.DtBias);
        if (i.InitialStates is not null) yield return ("initial_states", i.InitialStates);
    }

    private static void RequireFinite(IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        foreach (var (name, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            var bad = tensor.isfinite().logical_not();
            if (!bad.any().item<bool>()) continue;
            long count = bad.sum().item<long>();
            long first = bad.flatten().nonzero()[0, 0].item<long>();
            throw new ArgumentException(
                $"{name}: {count} non-finite value(s) (NaN or infinity); the first at {FormatIndex(first, tensor.shape)} of shape {Describe(tensor)}", name);
        }
    }

    private static string FormatIndex(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            index[i] = flat % shape[i];
            flat /= shape[i];
        }
        return $"[{string.Join(", ", index)}]";
    }

    private static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;

    private static void RequireShape(Tensor t, string name, long[] expected) =>
        Require(t.shape.SequenceEqual(expected), name, $"expected shape [{string.Join(", ", expected)}], got {Describe(t)}");

    private static void RequireFloating(Tensor t, string name) =>
        Require(t.is_floating_point(), name, $"expected a floating-point tensor, got {t.dtype}");

    private static void Require(bool condition, string name, string message)
    {
        if (!condition) throw new ArgumentException($"{name}: {message}", name);
    }

    internal static string Describe(Tensor t) => $"[{string.Join(", ", t.shape)}] {t.dtype}";
}
