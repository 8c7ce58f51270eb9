using Mamba.Ecg.Metrics;
using Mamba.Ecg.Models;
using Mamba.Ecg.Signals;
using Mamba.Ecg.Synthetic;
using Mamba.Ecg.Training;
using Mamba.Sdk.Training;
using TorchSharp;

namespace Mamba.Ecg.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public static class GlobalRandomTests
{
    public const string Name = "global torch random state";
}

[Collection(GlobalRandomTests.Name)]
public sealed class ModelTests
{
    private static EcgModelSpec Tiny(bool mamba) => new(mamba, 32, 1, 8, [.. EcgCondition.All], 100, 4);

    private static List<EcgExample> Examples(int first, int count) => [.. Enumerable.Range(first, count).Select(seed =>
    {
        var record = SyntheticEcg.Generate(seed, new SyntheticEcgOptions { Seconds = 4 });
        return new EcgExample(record.Id, EcgWindows.Standardise(SyntheticEcg.LeadNames, record.Leads, record.SamplingFrequency, 100), [.. EcgCondition.All.Select(c => record.Codes.Contains(c))], record.Codes);
    })];

    [Fact]
    public void Resampling_keeps_a_band_limited_sine_and_a_constant()
    {
        var sine = Enumerable.Range(0, 3600).Select(i => (float)Math.Sin(2 * Math.PI * 5 * i / 360.0)).ToArray();
        var flat = Enumerable.Repeat(0.7f, 500).ToArray();

        var at250 = Resampler.Resample(sine, 360, 250);
        var flatAt100 = Resampler.Resample(flat, 500, 100);

        Assert.Equal(2500, at250.Length);
        double worst = Enumerable.Range(20, 2460).Max(i => Math.Abs(at250[i] - Math.Sin(2 * Math.PI * 5 * i / 250.0)));
        Assert.True(worst < 1e-3, $"largest error {worst:E2}");
        Assert.All(flatAt100, v => Assert.Equal(0.7f, v, 5));
    }

    [Fact]
    public void Downsampling_removes_content_above_the_new_nyquist_frequency()
    {
        var tone = Enumerable.Range(0, 5000).Select(i => (float)Math.Sin(2 * Math.PI * 120 * i / 500.0)).ToArray();   // 120 Hz

        var at100 = Resampler.Resample(tone, 500, 100);                                                               // Nyquist 50 Hz

        Assert.True(at100.Skip(20).SkipLast(20).Max(Math.Abs) < 0.05, "a 120 Hz tone must not alias into a 100 Hz signal");
    }

    [Fact]
    public void Absent_leads_are_zero_and_flagged_in_the_window()
    {
        var channels = EcgWindows.Standardise(["MLII"], [[1f, 2f, float.NaN, 4f]], 100, 100);

        var window = EcgWindows.Window(channels, 0, 4, LeadSet.SingleII);

        Assert.Equal(24 * 4, window.Length);
        Assert.Equal([1f, 2f, 0f, 4f], window[4..8]);                           // lead II, NaN as 0
        Assert.All(window[..4].Concat(window[8..48]), v => Assert.Equal(0f, v)); // other leads
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f], window[48..56]);         // flags of I and II
    }

    [Fact]
    public void Unfolded_convolution_equals_libtorch_conv1d()
    {
        TorchSharp.torch.random.manual_seed(4);
        using var conv = new UnfoldedConv1d(5, 7, kernel: 5, stride: 2, padding: 2);
        conv.to(TorchSharp.torch.float64);
        using var input = TorchSharp.torch.randn(3, 5, 37, dtype: TorchSharp.torch.float64);
        var parameters = conv.parameters().ToList();

        using var unfolded = conv.forward(input);
        using var reference = TorchSharp.torch.nn.functional.conv1d(input, parameters[0], parameters[1], stride: 2, padding: 2);

        Assert.Equal(reference.shape, unfolded.shape);
        double worst = (unfolded - reference).abs().max().item<double>();
        Assert.True(worst < 1e-12, $"largest difference {worst:E2}");
    }

    [Fact]
    public void Training_raises_the_macro_auroc_of_the_mamba_model()
    {
        TorchSharp.torch.random.manual_seed(2);
        using var model = new EcgClassifier(Tiny(mamba: true));
        var train = Examples(0, 384);
        var validation = Examples(1000, 48);
        double Auroc() => MultilabelMetrics.AreasUnderCurves([.. validation.Select(e => e.Labels)], EcgTraining.Probabilities(model, validation, LeadSet.Twelve)).Auroc.Macro;
        double before = Auroc();

        EcgTraining.Fit(TrainingRun.Detached(), "cnn-mamba", model, train, validation, new EcgTrainingOptions { Epochs = 16, BatchSize = 16, LearningRate = 3e-3, RandomLeadSets = false, RestoreBestWeights = false }, CancellationToken.None);
        double after = Auroc();

        Assert.True(after > 0.7 && after > before + 0.15, $"macro AUROC {before:F3} untrained, {after:F3} after 16 small epochs");
    }

    [Fact]
    public void Window_by_window_inference_equals_the_batch()
    {
        TorchSharp.torch.random.manual_seed(3);
        using var model = new EcgClassifier(Tiny(mamba: true));
        var windows = Examples(0, 5).Select(e => EcgWindows.Window(e.Channels, 0, 400, LeadSet.Two)).ToList();

        var batch = EcgTraining.Probabilities(model, windows, batchSize: 5);
        var streamed = windows.Select(w => EcgTraining.Probabilities(model, [w], 1)[0]).ToList();

        for (int i = 0; i < windows.Count; i++)
            for (int k = 0; k < batch[i].Length; k++) Assert.Equal(batch[i][k], streamed[i][k], 1e-4);
    }

    [Fact]
    public void Lead_sets_name_the_challenge_sets()
    {
        Assert.Equal(["I", "II", "III", "V2"], LeadSet.Named("4").Leads);
        Assert.Equal(6, LeadSet.Named("6").Mask().Sum(), 0);
        Assert.Equal(1, LeadSet.ChannelOf("MLII"));
        Assert.Contains("not one of", Assert.Throws<ArgumentException>(() => LeadSet.Named("5")).Message, StringComparison.Ordinal);
    }
}
