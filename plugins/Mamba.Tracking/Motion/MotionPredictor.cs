using System.ComponentModel.DataAnnotations;
using Mamba.Core.Blocks;
using Mamba.Core.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Tracking.Motion;

/// <summary>Settings of the Mamba motion predictor.</summary>
public sealed record MotionPredictorOptions
{
    /// <summary>Past steps (deltas) the predictor reads.</summary>
    [Range(1, 256)]
    public int History { get; init; } = 10;

    /// <summary>Hidden width.</summary>
    [Range(4, 1024)]
    public int DModel { get; init; } = 64;

    /// <summary>Bidirectional Mamba layers.</summary>
    [Range(1, 16)]
    public int Layers { get; init; } = 2;

    /// <summary>SSM state size N.</summary>
    [Range(1, 256)]
    public int DState { get; init; } = 16;

    /// <summary>Future steps predicted at once (1: the next step, rolled forward for longer horizons).</summary>
    [Range(1, 1000)]
    public int Horizon { get; init; } = 1;
}

/// <summary>
/// MambaTrack's motion predictor: the last K motion deltas of a track (normalised, oldest first, zero-padded for young
/// tracks) are embedded, read by a bidirectional Mamba, and the state at the newest step is mapped to the next delta
/// (or the next H, see <see cref="MotionPredictorOptions.Horizon"/>). Batched over tracks: (B, K, F) → (B, H · F).
/// </summary>
public sealed class MotionPredictor : nn.Module<Tensor, Tensor>
{
    private readonly Linear embed;
    private readonly ResidualBackbone mixer;
    private readonly Linear head;

    /// <summary>Creates the predictor for deltas of <paramref name="features"/> values.</summary>
    public MotionPredictor(int features, MotionPredictorOptions options) : base(nameof(MotionPredictor))
    {
        ArgumentNullException.ThrowIfNull(options);
        Features = features;
        Options = options;
        embed = nn.Linear(features, options.DModel);
        mixer = new ResidualBackbone(new BackboneOptions
        {
            ModelDim = options.DModel,
            Layers = BackboneOptions.Repeat("BM", options.Layers),
            Mamba1 = new MambaBlockOptions { StateSize = options.DState },
        });
        head = nn.Linear(options.DModel, features * options.Horizon);
        RegisterComponents();
    }

    /// <summary>Values per delta.</summary>
    public int Features { get; }

    /// <summary>The settings.</summary>
    public MotionPredictorOptions Options { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor deltas)
    {
        using var scope = NewDisposeScope();
        var hidden = mixer.forward(embed.forward(deltas));   // (B, K, D)
        return head.forward(hidden[.., -1]).MoveToOuterDisposeScope();
    }
}
