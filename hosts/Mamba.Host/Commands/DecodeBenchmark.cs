using System.Diagnostics;
using System.Globalization;
using Mamba.Core.Blocks;
using Mamba.Core.Models;
using static TorchSharp.torch;

namespace Mamba.Host.Commands;

/// <summary>
/// <c>mamba bench decode</c>: one-token decode of the 24-layer d_model 768 Mamba-1 stack (mamba-130m without its
/// embedding; random weights, fp32), at batch 1 and 8, alone and as a token model with a 50,280-token embedding and
/// tied output layer: the libtorch-ops step under libtorch's own intra-op setting, with one thread, and under the
/// step policy (<see cref="StepThreads"/>: one thread at batch 1), then the fused CPU step
/// (<see cref="MambaBlock.FusedCpuStep"/>), timed back to back.
/// </summary>
internal static class DecodeBenchmark
{
    private const long ModelDim = 768, Vocabulary = 50_280;

    public static int Run(bool quick, CancellationToken cancellation)
    {
        int libtorchThreads = get_num_threads();
        int policy = StepThreads.Count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# mamba bench decode — {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, fp32, libtorch intra-op threads {libtorchThreads}, step policy {(policy == 0 ? "off" : $"{policy} thread(s)")}"));
        using var noGrad = no_grad();
        random.manual_seed(0);
        int layers = quick ? 4 : 24, tokens = quick ? 8 : 48;
        using var backbone = new ResidualBackbone(new BackboneOptions { ModelDim = ModelDim, Layers = BackboneOptions.Repeat("M1", layers) });
        using var language = new TokenModel(new BackboneOptions { ModelDim = ModelDim, Layers = BackboneOptions.Repeat("M1", layers), VocabSize = Vocabulary });
        backbone.eval();
        language.eval();
        Console.WriteLine();
        Console.WriteLine($"{layers} layers, d_model {ModelDim}; {tokens} steps after 4 untimed ones, tokens/s = batch × steps / s.");
        Console.WriteLine();
        Console.WriteLine($"| batch | output layer | libtorch ops, libtorch's setting ({libtorchThreads} threads) | libtorch ops, one thread | libtorch ops, step policy | fused step | fused ÷ best libtorch |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (int batch in new[] { 1, 8 })
            foreach (bool withHead in new[] { false, true })
            {
                cancellation.ThrowIfCancellationRequested();
                Func<int, int, double> rate = withHead
                    ? (threads, steps) => Rate(s => language.Step(randint(Vocabulary, [batch]), s), language.Prefill(randint(Vocabulary, [batch, 16])).State, batch, tokens, threads, steps, cancellation)
                    : (threads, steps) => Rate(s => backbone.Step(randn(batch, ModelDim), s), backbone.Prefill(randn(batch, 16, ModelDim)).State, batch, tokens, threads, steps, cancellation);
                MambaBlock.FusedCpuStep = false;
                double own = rate(libtorchThreads, 0), one = rate(1, 0), chosen = rate(libtorchThreads, policy);
                MambaBlock.FusedCpuStep = true;
                double fused = rate(libtorchThreads, policy);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {batch} | {(withHead ? "50,280 tokens" : "none")} | {own:F1} | {one:F1} | {chosen:F1} | {fused:F1} | {fused / Math.Max(own, Math.Max(one, chosen)):F2} |"));
            }
        return 0;
    }

    /// <summary>Tokens/s of <paramref name="tokens"/> steps with libtorch at <paramref name="threads"/> and the step policy at <paramref name="stepThreads"/> (0: off).</summary>
    internal static double Rate(Func<BackboneState, (Tensor Output, BackboneState State)> step, BackboneState prefilled, int batch, int tokens, int threads, int stepThreads, CancellationToken cancellation)
    {
        int saved = StepThreads.Count, savedThreads = get_num_threads();
        StepThreads.Count = stepThreads;
        set_num_threads(threads);
        try
        {
            var current = prefilled;
            long start = 0;
            for (int i = 0; i < tokens + 4; i++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (i == 4) start = Stopwatch.GetTimestamp();
                using var scope = NewDisposeScope();
                var (output, next) = step(current);
                output.Dispose();
                current.Dispose();
                current = next;
                foreach (var layer in current.Layers) layer.MoveToOuterDisposeScope();
            }
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            current.Dispose();
            return batch * tokens / seconds;
        }
        finally
        {
            StepThreads.Count = saved;
            set_num_threads(savedThreads);
        }
    }
}
