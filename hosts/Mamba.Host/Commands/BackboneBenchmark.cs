using System.Diagnostics;
using System.Globalization;
using Mamba.Core.Blocks;
using Mamba.Core.Models;
using static TorchSharp.torch;

namespace Mamba.Host.Commands;

/// <summary>
/// <c>mamba bench backbone</c>: a mamba-130m-size stack's forward time and decode rate, and how forward time grows with
/// length for a Mamba backbone next to an attention-only backbone of the same width and depth.
/// </summary>
internal static class BackboneBenchmark
{
    public static int Run(bool quick, CancellationToken cancellation)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# mamba bench backbone — {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, fp32, batch 1, no gradients"));
        using var noGrad = no_grad();
        random.manual_seed(0);

        int layers = quick ? 4 : 24;
        var stack = new BackboneOptions { ModelDim = 768, Layers = BackboneOptions.Repeat("M1", layers) };
        using (var model = new ResidualBackbone(stack))
        {
            model.eval();
            var input = randn(1, 2048, 768);
            double forwardMs = Median(() => model.forward(input).Dispose(), quick ? 1 : 3);
            Console.WriteLine();
            Console.WriteLine($"## Mamba-1 stack, {layers} layers, d_model 768 (mamba-130m's backbone without its embedding)");
            Console.WriteLine();
            Console.WriteLine("| measure | value |");
            Console.WriteLine("| --- | ---: |");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| forward, L = 2048 | {forwardMs / 1000:F2} s ({2048 / (forwardMs / 1000):F0} tokens/s) |"));

            var token = randn(1, 768);
            double decodeRate = DecodeBenchmark.Rate(s => model.Step(token, s), model.Prefill(input[.., ..16]).State, batch: 1, quick ? 16 : 64,
                get_num_threads(), StepThreads.Count, cancellation);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| decode with Step (constant state) | {decodeRate:F1} tokens/s |"));
        }

        Console.WriteLine();
        Console.WriteLine("## Forward time against length: 4 layers, d_model 256 (Mamba-1, N = 16) vs attention (8 heads)");
        Console.WriteLine();
        Console.WriteLine("| L | Mamba s | attention s |");
        Console.WriteLine("| ---: | ---: | ---: |");
        long[] lengths = quick ? [1024, 2048, 4096] : [1024, 2048, 4096, 8192, 16384, 32768];
        var mambaTimes = new List<double>();
        var attentionTimes = new List<double>();
        using var mamba = new ResidualBackbone(new BackboneOptions { ModelDim = 256, Layers = "M1,M1,M1,M1" });
        using var attention = new ResidualBackbone(new BackboneOptions { ModelDim = 256, Layers = "A,A,A,A", AttentionHeads = 8 });
        // All Mamba lengths first, then all attention lengths: attention's large transient allocations and the
        // libtorch workers it leaves spinning would otherwise slow the Mamba run that follows it.
        foreach (long length in lengths)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = randn(1, length, 256);
            mambaTimes.Add(Median(() => mamba.forward(x).Dispose(), quick ? 1 : 3) / 1000);
        }
        foreach (long length in lengths)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var x = randn(1, length, 256);
            attentionTimes.Add(Median(() => attention.forward(x).Dispose(), quick ? 1 : 3) / 1000);
        }
        for (int i = 0; i < lengths.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {lengths[i]} | {mambaTimes[i]:F3} | {attentionTimes[i]:F3} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| fitted exponent (time ∝ L^k, log-log least squares) | {Exponent(lengths, mambaTimes):F2} | {Exponent(lengths, attentionTimes):F2} |"));
        return 0;
    }

    private static double Median(Action run, int runs)
    {
        run();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[runs / 2];
    }

    /// <summary>Slope of log(time) against log(L).</summary>
    private static double Exponent(long[] lengths, List<double> times)
    {
        var xs = lengths.Select(l => Math.Log(l)).ToArray();
        var ys = times.Select(t => Math.Log(t)).ToArray();
        double mx = xs.Average(), my = ys.Average();
        return xs.Zip(ys).Sum(p => (p.First - mx) * (p.Second - my)) / xs.Sum(x => (x - mx) * (x - mx));
    }
}
