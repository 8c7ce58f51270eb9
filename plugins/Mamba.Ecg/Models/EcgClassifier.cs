using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Ecg.Signals;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Ecg.Models;

/// <summary>The shape of an ECG classifier, saved as its config.</summary>
/// <param name="Mamba">Bidirectional Mamba encoder after the CNN (false: the CNN baseline with a pooling head).</param>
/// <param name="ModelDim">Channels of the CNN's last layer and d_model of the encoder.</param>
/// <param name="Layers">Bidirectional Mamba layers.</param>
/// <param name="StateSize">SSM state size N.</param>
/// <param name="Classes">SNOMED CT codes of the outputs, in order.</param>
/// <param name="SamplingFrequency">Rate the model reads (recordings are resampled to it).</param>
/// <param name="WindowSeconds">Seconds per window.</param>
public sealed record EcgModelSpec(bool Mamba, int ModelDim, int Layers, int StateSize, string[] Classes, double SamplingFrequency, double WindowSeconds)
{
    /// <summary>Samples per window at the model's rate.</summary>
    public int WindowSamples => (int)Math.Round(SamplingFrequency * WindowSeconds);
}

/// <summary>
/// 1-D CNN ECG classifier: four strided convolutions (<see cref="UnfoldedConv1d"/>) (total stride 16: 250 Hz → about 16 tokens per second) over the
/// 12 lead channels and their 12 presence flags (so one model serves every lead set), each followed by group
/// normalisation (per record, so training and inference behave alike whatever the batch), then — for the Mamba model — a
/// residual stack of bidirectional Mamba layers over the tokens, mean pooling and a linear multilabel head.
/// Input (B, 24, T) → logits (B, classes); sigmoid gives each class's probability.
/// </summary>
public sealed class EcgClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Sequential front;
    private readonly ResidualBackbone? encoder;
    private readonly Dropout dropout;
    private readonly Linear head;

    /// <summary>Builds the classifier <paramref name="spec"/> describes.</summary>
    public EcgClassifier(EcgModelSpec spec) : base(nameof(EcgClassifier))
    {
        ArgumentNullException.ThrowIfNull(spec);
        Spec = spec;
        long d = spec.ModelDim, channels = 2 * LeadSet.Standard.Count;
        front = nn.Sequential(
            new UnfoldedConv1d(channels, d / 2, 7, stride: 2, padding: 3), nn.GroupNorm(4, d / 2), nn.GELU(),
            new UnfoldedConv1d(d / 2, d, 7, stride: 2, padding: 3), nn.GroupNorm(8, d), nn.GELU(),
            new UnfoldedConv1d(d, d, 5, stride: 2, padding: 2), nn.GroupNorm(8, d), nn.GELU(),
            new UnfoldedConv1d(d, d, 5, stride: 2, padding: 2), nn.GroupNorm(8, d), nn.GELU());
        register_module("front", front);
        using (no_grad())
        {
            // TorchSharp 0.107 leaves GroupNorm's affine parameters uninitialised (torch.empty); PyTorch starts them at 1 and 0.
            foreach (var norm in front.children().OfType<GroupNorm>())
            {
                nn.init.ones_(norm.weight!);
                nn.init.zeros_(norm.bias!);
            }
        }
        if (spec.Mamba)
        {
            encoder = new ResidualBackbone(new BackboneOptions { ModelDim = d, Layers = BackboneOptions.Repeat("BM", spec.Layers), Mamba1 = new MambaBlockOptions { StateSize = spec.StateSize } });
            register_module("encoder", encoder);
        }
        dropout = nn.Dropout(0.1);
        head = nn.Linear(d, spec.Classes.Length);
        register_module("dropout", dropout);
        register_module("head", head);
    }

    /// <summary>The shape.</summary>
    public EcgModelSpec Spec { get; }

    /// <summary>Signals and presence flags (B, 24, T) → logits (B, classes).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var tokens = front.forward(input).transpose(1, 2);                 // (B, T/16, d)
        if (encoder is not null) tokens = encoder.forward(tokens);
        return head.forward(dropout.forward(tokens.mean([1]))).MoveToOuterDisposeScope();
    }
}
