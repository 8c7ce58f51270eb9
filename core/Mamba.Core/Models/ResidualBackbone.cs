using Mamba.Core.Blocks;
using Mamba.Core.Scan;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Mamba.Core.Models;

/// <summary>
/// mamba_ssm's <c>MixerModel</c>: an optional token embedding, then layers of pre-norm residual mixing
/// (residual += hidden; hidden = mixer(RMSNorm(residual)), the residual stream kept in fp32; with
/// <see cref="BackboneOptions.MlpDim"/> also residual += hidden; hidden = mlp(RMSNorm(residual))), then a final RMSNorm.
/// Parameter names: <c>embedding.weight</c>, <c>layers.{i}.norm.weight</c>, <c>layers.{i}.mixer.…</c>,
/// <c>layers.{i}.norm2.weight</c>, <c>layers.{i}.mlp.fc1.weight</c>, <c>layers.{i}.mlp.fc2.weight</c>, <c>norm_f.weight</c>.
/// </summary>
public sealed class ResidualBackbone : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResidualLayer> _layers;
    private readonly List<ResidualLayer> _layerList;

    /// <summary>
    /// Creates the backbone with mamba_ssm's initialisation: embedding N(0, 0.02), linear biases zero, each residual
    /// branch's last projection (out_proj, and fc2 with an MLP) scaled by 1/√(branches per layer · layers).
    /// </summary>
    public ResidualBackbone(BackboneOptions options, ScanKernelRegistry? kernels = null) : base(nameof(ResidualBackbone))
    {
        Options = options;
        if (options.VocabSize is { } vocab)
        {
            Embedding = nn.Embedding(vocab, options.ModelDim);
            register_module("embedding", Embedding);
        }
        _layers = new ModuleList<ResidualLayer>([.. options.LayerKinds.Select(kind => new ResidualLayer(kind, options, kernels))]);
        _layerList = [.. _layers];
        register_module("layers", _layers);
        NormF = new RmsNorm(options.ModelDim, options.NormEps);
        register_module("norm_f", NormF);
        Initialize();
    }

    /// <summary>The options the backbone was built from (its config).</summary>
    public BackboneOptions Options { get; }

    /// <summary>Token embedding, when the backbone has a vocabulary.</summary>
    public Embedding? Embedding { get; }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<ResidualLayer> Layers => _layerList;

    /// <summary>Final norm.</summary>
    public RmsNorm NormF { get; }

    /// <summary>True when every layer is causal, so the backbone can stream.</summary>
    public bool IsCausal => _layers.All(l => l.Mixer is IRecurrentMixer m && (m is not AttentionLayer a || a.Causal));

    /// <summary>Embedded or continuous input (B, L, d_model), or token ids (B, L) when the backbone has an embedding → (B, L, d_model).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var hidden = Embed(input);
        Tensor? residual = null;
        foreach (var layer in _layers)
            (hidden, residual) = layer.Forward(hidden, residual);
        return Finish(hidden, residual!).MoveToOuterDisposeScope();
    }

    /// <summary>Runs a prompt (B, L[, d_model]) from <paramref name="initial"/> (empty when null); returns the output and the state after it.</summary>
    public (Tensor Output, BackboneState State) Prefill(Tensor input, BackboneState? initial = null)
    {
        RequireCausal();
        using var scope = NewDisposeScope();
        var hidden = Embed(input);
        Tensor? residual = null;
        var states = new List<LayerState>();
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            (var normed, residual) = layer.AddAndNorm(hidden, residual);
            var (mixed, state) = ((IRecurrentMixer)layer.Mixer).Prefill(normed, initial?.Layers[i]);
            states.Add(state.MoveToOuterDisposeScope());
            (hidden, residual) = layer.AfterMixer(mixed, residual);
        }
        return (Finish(hidden, residual!).MoveToOuterDisposeScope(), new BackboneState(states));
    }

    /// <summary>
    /// One token: an id (B) or a vector (B, d_model) → (B, d_model), with every layer's state advanced. O(1) per Mamba
    /// layer; runs under <see cref="StepThreads"/>.
    /// </summary>
    public (Tensor Output, BackboneState State) Step(Tensor input, BackboneState state)
    {
        RequireCausal();
        using var threads = StepThreads.Enter(input.shape[0]);
        using var scope = NewDisposeScope();
        var hidden = Embed(input);
        Tensor? residual = null;
        var states = new List<LayerState>();
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            (var normed, residual) = layer.AddAndNorm(hidden, residual);
            var (mixed, next) = ((IRecurrentMixer)layer.Mixer).Step(normed, state.Layers[i]);
            states.Add(next.MoveToOuterDisposeScope());
            (hidden, residual) = layer.AfterMixer(mixed, residual);
        }
        return (Finish(hidden, residual!).MoveToOuterDisposeScope(), new BackboneState(states));
    }

    /// <summary>An empty state for <paramref name="batch"/> streams.</summary>
    public BackboneState NewState(long batch, Device? device = null)
    {
        RequireCausal();
        return new BackboneState([.. _layers.Select(l => ((IRecurrentMixer)l.Mixer).NewState(batch, device))]);
    }

    /// <summary>Restores a state saved with <see cref="BackboneState.ToBytes"/>, checking it against this backbone's layers.</summary>
    public BackboneState RestoreState(byte[] bytes) => BackboneState.FromBytes(bytes, this);

    private Tensor Embed(Tensor input) => Embedding is null ? input : Embedding.forward(input);

    private Tensor Finish(Tensor hidden, Tensor residual) => NormF.forward((residual + hidden).to_type(hidden.dtype));

    private void RequireCausal()
    {
        if (!IsCausal)
            throw new InvalidOperationException($"This backbone ({Options.Layers}) has non-causal layers, which see the whole sequence; it cannot stream.");
    }

    private void Initialize()
    {
        using var noGrad = no_grad();
        if (Embedding is not null) nn.init.normal_(Embedding.weight!, 0, 0.02);
        double scale = Math.Sqrt((Options.MlpDim > 0 ? 2 : 1) * _layers.Count);
        foreach (var (name, parameter) in named_parameters())
        {
            // mamba_ssm zeroes linear biases except the Δ bias (its "_no_reinit"), and shrinks each residual
            // branch's last projection so the residual stream's variance does not grow with depth.
            if (name.EndsWith("out_proj.weight", StringComparison.Ordinal) || name.EndsWith("mlp.fc2.weight", StringComparison.Ordinal)) parameter.div_(scale);
            else if (name.EndsWith("proj.bias", StringComparison.Ordinal) && !name.Contains("dt_proj", StringComparison.Ordinal)) parameter.zero_();
        }
    }
}

/// <summary>One pre-norm residual layer: <c>norm</c> (RMSNorm) and <c>mixer</c>, and with an MLP <c>norm2</c> and <c>mlp</c>.</summary>
public sealed class ResidualLayer : nn.Module
{
    internal ResidualLayer(LayerKind kind, BackboneOptions options, ScanKernelRegistry? kernels) : base(nameof(ResidualLayer))
    {
        Kind = kind;
        Norm = new RmsNorm(options.ModelDim, options.NormEps);
        Mixer = kind switch
        {
            LayerKind.Mamba1 => new MambaBlock(options.ModelDim, options.Mamba1, kernels),
            LayerKind.Mamba2 => new Mamba2Block(options.ModelDim, options.Mamba2, kernels),
            LayerKind.Attention => new AttentionLayer(options.ModelDim, options.AttentionHeads, options.AttentionKvHeads, causal: true),
            LayerKind.BidirectionalAttention => new AttentionLayer(options.ModelDim, options.AttentionHeads, options.AttentionKvHeads, causal: false),
            LayerKind.BidirectionalMamba => new BidirectionalMambaBlock(options.ModelDim, options.Mamba1, options.TieBidirectional, kernels),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        register_module("norm", Norm);
        register_module("mixer", Mixer);
        if (options.MlpDim > 0)
        {
            Norm2 = new RmsNorm(options.ModelDim, options.NormEps);
            Mlp = new GatedMlp(options.ModelDim, options.MlpDim);
            register_module("norm2", Norm2);
            register_module("mlp", Mlp);
        }
    }

    /// <summary>The mixer kind.</summary>
    public LayerKind Kind { get; }

    /// <summary>Pre-norm.</summary>
    public RmsNorm Norm { get; }

    /// <summary>The mixer: (B, L, d_model) → (B, L, d_model).</summary>
    public nn.Module<Tensor, Tensor> Mixer { get; }

    /// <summary>Norm before the MLP, when the layer has one.</summary>
    public RmsNorm? Norm2 { get; }

    /// <summary>The MLP after the mixer, when <see cref="BackboneOptions.MlpDim"/> is positive.</summary>
    public GatedMlp? Mlp { get; }

    /// <summary>residual += hidden (fp32; the first layer starts it); hidden = mixer(norm(residual)), then the MLP if any.</summary>
    public (Tensor Hidden, Tensor Residual) Forward(Tensor hidden, Tensor? residual)
    {
        var (normed, updated) = AddAndNorm(hidden, residual);
        return AfterMixer(Mixer.forward(normed), updated);
    }

    /// <summary>The layer's output from its mixer's: unchanged, or with an MLP mlp(norm2(residual + mixed)) and that residual.</summary>
    internal (Tensor Hidden, Tensor Residual) AfterMixer(Tensor mixed, Tensor residual)
    {
        if (Mlp is null) return (mixed, residual);
        var updated = residual + mixed;
        return (Mlp.forward(Norm2!.forward(updated.to_type(mixed.dtype))), updated);
    }

    /// <summary>The mixer's input, norm(residual + hidden), and the updated fp32 residual stream.</summary>
    internal (Tensor Normed, Tensor Residual) AddAndNorm(Tensor hidden, Tensor? residual)
    {
        var updated = residual is null ? hidden.to_type(ScalarType.Float32) : residual + hidden;
        return (Norm.forward(updated.to_type(hidden.dtype)), updated);
    }
}
