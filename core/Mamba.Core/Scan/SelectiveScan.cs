using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>Mamba-1 selective scan: whole sequences through the chosen kernel, and the one-token recurrent step.</summary>
public static class SelectiveScan
{
    /// <summary>Scans a whole sequence with the kernel <paramref name="registry"/> (default: <see cref="ScanKernelRegistry.Current"/>) chooses.</summary>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device, or holds NaN when the finite check is on; the message names it.</exception>
    public static SelectiveScanOutput Run(SelectiveScanInputs inputs, ScanKernelRegistry? registry = null)
    {
        registry ??= ScanKernelRegistry.Current;
        var shape = ScanValidation.Validate(inputs, registry.Options.CheckFinite);
        var kernel = registry.Select(new ScanProblem(ScanKind.Selective, inputs.U.device_type, inputs.U.dtype, shape.StateSize));
        return kernel.SelectiveScan(inputs);
    }

    /// <summary>
    /// One recurrent step for one token: h' = exp(δA) ⊙ h + (δu)·B, y = C·h' + D·u, gated by silu(z).
    /// Shapes: state (B, D, N); u, delta, z (B, D); B and C (B, N) or (B, G, N); A (D, N); D and delta_bias (D).
    /// The same math as a scan of length 1, without a kernel dispatch.
    /// </summary>
    /// <returns>The output (B, D) and the new state (B, D, N).</returns>
    public static (Tensor Output, Tensor State) Step(Tensor state, Tensor u, Tensor delta, Tensor a, Tensor b, Tensor c,
        Tensor? d = null, Tensor? z = null, Tensor? deltaBias = null, bool deltaSoftplus = false)
    {
        var type = ScanMath.ComputeType(u);
        using var scope = NewDisposeScope();
        long channels = u.shape[1];
        var dt = ScanMath.StepSize(delta, deltaBias, deltaSoftplus, type, biasDim: 1).unsqueeze(-1);  // (B, D, 1)
        var bPerChannel = ScanMath.PerChannel(b.unsqueeze(-1), channels, type).squeeze(-1);          // (B, D, N)
        var cPerChannel = ScanMath.PerChannel(c.unsqueeze(-1), channels, type).squeeze(-1);
        var uc = u.to_type(type);
        var next = (dt * a.to_type(type)).exp() * state.to_type(type) + dt * uc.unsqueeze(-1) * bPerChannel;
        var y = (next * cPerChannel).sum(-1);
        if (d is not null) y = y + d.to_type(type) * uc;
        if (z is not null) y = y * nn.functional.silu(z.to_type(type));
        return (y.to_type(u.dtype).MoveToOuterDisposeScope(), next.to_type(state.dtype).MoveToOuterDisposeScope());
    }
}

/// <summary>Mamba-2 SSD scan: whole sequences through the chosen kernel, and the one-token recurrent step.</summary>
public static class SsdScan
{
    /// <summary>Scans a whole sequence with the kernel <paramref name="registry"/> (default: <see cref="ScanKernelRegistry.Current"/>) chooses.</summary>
    /// <exception cref="ArgumentException">An argument has the wrong shape, dtype or device, or holds NaN when the finite check is on; the message names it.</exception>
    public static SsdScanOutput Run(SsdScanInputs inputs, ScanKernelRegistry? registry = null)
    {
        registry ??= ScanKernelRegistry.Current;
        var shape = ScanValidation.Validate(inputs, registry.Options.CheckFinite);
        var kernel = registry.Select(new ScanProblem(ScanKind.Ssd, inputs.X.device_type, inputs.X.dtype, shape.StateSize));
        return kernel.Ssd(inputs);
    }

    /// <summary>
    /// One recurrent step: S' = exp(δ·A_h)·S + δ·x ⊗ B, y = S'·C + D·x.
    /// Shapes: states (b, h, p, n); x (b, h, p); dt (b, h); A, D, dt_bias (h); B and C (b, g, n).
    /// </summary>
    /// <returns>The output (b, h, p) and the new states (b, h, p, n).</returns>
    public static (Tensor Output, Tensor States) Step(Tensor states, Tensor x, Tensor dt, Tensor a, Tensor b, Tensor c,
        Tensor? d = null, Tensor? dtBias = null, bool dtSoftplus = false)
    {
        var type = ScanMath.ComputeType(x);
        using var scope = NewDisposeScope();
        long heads = x.shape[1];
        var step = ScanMath.StepSize(dt, dtBias, dtSoftplus, type, biasDim: 1);                   // (b, h)
        var bPerHead = ScanMath.PerHead(b.unsqueeze(1), heads, type).squeeze(1).unsqueeze(2);     // (b, h, 1, n)
        var cPerHead = ScanMath.PerHead(c.unsqueeze(1), heads, type).squeeze(1).unsqueeze(2);
        var xc = x.to_type(type);
        var decay = (step * a.to_type(type)).exp().unsqueeze(-1).unsqueeze(-1);                  // (b, h, 1, 1)
        var next = decay * states.to_type(type) + (step.unsqueeze(-1) * xc).unsqueeze(-1) * bPerHead;
        var y = (next * cPerHead).sum(-1);
        if (d is not null) y = y + d.to_type(type).unsqueeze(-1) * xc;
        return (y.to_type(x.dtype).MoveToOuterDisposeScope(), next.to_type(states.dtype).MoveToOuterDisposeScope());
    }
}
