using Mamba.Core.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Forecasting.Models;

/// <summary>
/// S-Mamba ("Is Mamba Effective for Time Series Forecasting?"): each variate's whole lookback becomes one token, a
/// bidirectional Mamba mixes information across variates, an FFN works within each token, and a linear head maps a
/// token to its horizon. Instance normalisation is applied to the input and undone at the output.
/// </summary>
public sealed class SMamba : nn.Module<Tensor, Tensor>
{
    private readonly Linear embed;
    private readonly ModuleList<SMambaEncoderLayer> layers;
    private readonly LayerNorm norm;
    private readonly Linear projector;
    private readonly Tensor outputPositions;

    /// <summary>A model for <paramref name="variates"/> input series; outputs the variates at <paramref name="outputPositions"/>.</summary>
    public SMamba(int lookback, int horizon, int variates, long[] outputPositions, ModelOptions options) : base(nameof(SMamba))
    {
        ArgumentNullException.ThrowIfNull(options);
        var block = new MambaBlockOptions { StateSize = options.DState, ConvKernel = options.DConv, Expand = options.Expand };
        embed = nn.Linear(lookback, options.DModel);
        layers = nn.ModuleList([.. Enumerable.Range(0, options.Layers).Select(_ => new SMambaEncoderLayer(options.DModel, options.DFf, options.Dropout, block))]);
        norm = nn.LayerNorm(options.DModel);
        projector = nn.Linear(options.DModel, horizon);
        Variates = variates;
        this.outputPositions = tensor(outputPositions);
        RegisterComponents();
    }

    /// <summary>Input variates (tokens).</summary>
    public int Variates { get; }

    /// <summary>x: [B, L, N] → [B, H, N_out].</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var mean = x.mean([1], keepdim: true);                                        // [B, 1, N]
        var std = sqrt(x.var(1, unbiased: false, keepdim: true) + 1e-5);
        var tokens = embed.forward(((x - mean) / std).permute(0, 2, 1));              // [B, N, D]
        foreach (var layer in layers) tokens = layer.forward(tokens);
        var y = projector.forward(norm.forward(tokens)).permute(0, 2, 1);              // [B, H, N]
        y = y * std + mean;
        return y.index_select(2, outputPositions.to(y.device)).MoveToOuterDisposeScope();
    }
}

/// <summary>One S-Mamba encoder layer: y = Mamba_f(x) + flip(Mamba_b(flip(x))) across variates, then add-and-norm and an FFN.</summary>
internal sealed class SMambaEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly MambaBlock forwards, backwards;
    private readonly LayerNorm norm1, norm2;
    private readonly Linear ffnIn, ffnOut;
    private readonly Dropout dropout;

    public SMambaEncoderLayer(int dModel, int dFf, double dropoutRate, MambaBlockOptions block) : base(nameof(SMambaEncoderLayer))
    {
        forwards = new MambaBlock(dModel, block);
        backwards = new MambaBlock(dModel, block);
        norm1 = nn.LayerNorm(dModel);
        norm2 = nn.LayerNorm(dModel);
        ffnIn = nn.Linear(dModel, dFf);
        ffnOut = nn.Linear(dFf, dModel);
        dropout = nn.Dropout(dropoutRate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Untied directions over the variate axis: the order of variates carries no meaning, so read it both ways.
        var mixed = forwards.forward(x) + backwards.forward(x.flip(1)).flip(1);
        x = norm1.forward(x + dropout.forward(mixed));
        var y = dropout.forward(nn.functional.gelu(ffnIn.forward(x)));
        y = dropout.forward(ffnOut.forward(y));
        return norm2.forward(x + y);
    }
}
