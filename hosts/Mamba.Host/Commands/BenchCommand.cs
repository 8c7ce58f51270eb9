using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Mamba.Core.Scan;

namespace Mamba.Host.Commands;

/// <summary><c>mamba bench …</c>: measurements recorded in docs/benchmarks.md.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Run a benchmark and print its table (figures for docs/benchmarks.md).");
        bench.Subcommands.Add(CreateScan());
        var quick = new Option<bool>("--quick") { Description = "A smoke run at small sizes, not figures to record." };
        var backbone = new Command("backbone", "Forward time and decode rate of a mamba-130m-size stack; forward time against length, Mamba vs attention.") { quick };
        backbone.SetAction((result, cancellation) => Task.FromResult(BackboneBenchmark.Run(result.GetValue(quick), cancellation)));
        bench.Subcommands.Add(backbone);
        var decode = new Command("decode", "One-token decode rate of the 24-layer d_model 768 stack (batch 1 and 8, with and without a 50k-token output layer) under libtorch's thread setting and the step policy.") { quick };
        decode.SetAction((result, cancellation) => Task.FromResult(DecodeBenchmark.Run(result.GetValue(quick), cancellation)));
        bench.Subcommands.Add(decode);
        var runs = new Option<int>("--runs") { Description = "Timed runs (after one warm-up).", DefaultValueFactory = _ => 10 };
        var plugins = new Command("plugins", "Wall time of `mamba plugins list` with every plugin on the path, as fresh processes.") { runs };
        plugins.SetAction((result, cancellation) => Task.FromResult(PluginsBenchmark.Run(Math.Max(1, result.GetValue(runs)), cancellation)));
        bench.Subcommands.Add(plugins);
        return bench;
    }

    private static Command CreateScan()
    {
        var quick = new Option<bool>("--quick") { Description = "A smoke run, not figures to record: the mamba-130m and Mamba-2 shapes, the fused kernel against one reference run, three timed runs." };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per kernel and shape; the median is reported.", DefaultValueFactory = _ => 5 };
        var kernels = new Option<string[]>("--kernels")
        {
            Description = "Kernels to time, besides the reference that every speed-up is measured against; fused-cpu:states and fused-cpu:channels force the Mamba-1 forward's lane layout.",
            DefaultValueFactory = _ => ["chunked", "fused-cpu"],
            AllowMultipleArgumentsPerToken = true,
        };
        var noBackward = new Option<bool>("--forward-only") { Description = "Skip the forward+backward passes." };
        repeat.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--repeat must be at least 1.");
        });

        var scan = new Command("scan", "Time the scan kernels on the design card's shapes: median time, G state-updates/s, speed-up over the reference.")
        {
            quick, repeat, kernels, noBackward,
        };
        scan.SetAction((result, cancellation) =>
        {
            bool isQuick = result.GetValue(quick);
            var workloads = isQuick
                ? ScanWorkload.Standard.Where(w => w.Name is "mamba-130m layer" or "mamba-2 layer").ToList()
                : ScanWorkload.Standard.ToList();
            var registry = ScanKernelRegistry.WithCoreKernels();
            string[] names = isQuick ? ["fused-cpu"] : result.GetValue(kernels)!;
            var chosen = names.Select(name => Resolve(registry, name)).Zip(names).ToList();
            int runs = isQuick ? 3 : result.GetValue(repeat);
            int referenceRuns = isQuick ? 1 : ReferenceRuns;
            bool[] passes = result.GetValue(noBackward) ? [false] : [false, true];
            return Task.FromResult(RunScan(workloads, registry.Get("reference"), referenceRuns, chosen, runs, passes, cancellation));
        });
        return scan;
    }

    /// <summary>A kernel by registry name, or <c>fused-cpu:states</c> / <c>fused-cpu:channels</c> for the fused kernel with its lane layout forced.</summary>
    private static IScanKernel Resolve(ScanKernelRegistry registry, string name) => name.Split(':') switch
    {
        ["fused-cpu", var lanes] when Enum.TryParse<FusedScanLanes>(lanes, ignoreCase: true, out var layout) => new FusedCpuScan(layout),
        _ => registry.Get(name),
    };

    /// <summary>
    /// State updates above which the chunked Mamba-1 backward is not run: libtorch's autograd keeps about 16 floats per
    /// update (the log-depth scan's levels), which past this exceeds what a 24 GiB machine can spare.
    /// </summary>
    private const long ChunkedBackwardLimit = 64L << 20;

    /// <summary>The reference takes seconds per call: fewer timed runs, after a single warm-up run.</summary>
    private const int ReferenceRuns = 3;

    private static int RunScan(List<ScanWorkload> workloads, IScanKernel reference, int referenceRuns,
        List<(IScanKernel Kernel, string Name)> kernels, int runs, bool[] passes, CancellationToken cancellation)
    {
        Console.WriteLine($"# mamba bench scan — {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, " +
                          $"AVX-512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, fp32, median of {runs} (reference: {referenceRuns})");
        Console.WriteLine();
        WarmUp(reference, kernels.Select(k => k.Kernel), passes);
        Console.WriteLine("| shape | pass | kernel | median ms | G updates/s | × reference |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: |");
        foreach (var workload in workloads)
        {
            foreach (bool backward in passes)
            {
                cancellation.ThrowIfCancellationRequested();
                string pass = backward ? "fwd+bwd" : "fwd";
                double referenceMs = MedianMilliseconds(workload, reference, backward, referenceRuns);
                Row(workload, pass, "reference", referenceMs, referenceMs);
                foreach (var (kernel, name) in kernels)
                {
                    cancellation.ThrowIfCancellationRequested();
                    if (name == "chunked" && backward && workload.Kind == ScanKind.Selective && workload.StateUpdates > ChunkedBackwardLimit)
                    {
                        Console.WriteLine($"| {workload.Name} ({workload.Shape}) | {pass} | {name} | skipped: libtorch autograd would keep ~{workload.StateUpdates * 64 / 1e9:F0} GB | | |");
                        continue;
                    }
                    Row(workload, pass, name, MedianMilliseconds(workload, kernel, backward, runs), referenceMs);
                }
            }
        }
        return 0;
    }

    /// <summary>Runs every kernel once on small problems, so the first timed run (the single reference run above all) does not pay for libtorch's and the JIT's start-up.</summary>
    private static void WarmUp(IScanKernel reference, IEnumerable<IScanKernel> kernels, bool[] passes)
    {
        var small = new[]
        {
            new ScanWorkload("warm-up", ScanKind.Selective, Batch: 1, Channels: 64, Length: 128, StateSize: 16),
            new ScanWorkload("warm-up", ScanKind.Ssd, Batch: 1, Channels: 2, Length: 128, StateSize: 32, HeadDim: 8),
        };
        foreach (var kernel in kernels.Prepend(reference))
            foreach (var workload in small)
                foreach (bool backward in passes)
                {
                    using var prepared = workload.Prepare(kernel, backward);
                    prepared.Run();
                }
    }

    private static void Row(ScanWorkload workload, string pass, string kernel, double ms, double referenceMs)
    {
        double rate = workload.StateUpdates / (ms / 1000) / 1e9;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {workload.Name} ({workload.Shape}) | {pass} | {kernel} | {ms:F1} | {rate:F3} | {referenceMs / ms:F1} |"));
    }

    private static double MedianMilliseconds(ScanWorkload workload, IScanKernel kernel, bool backward, int runs)
    {
        using var prepared = workload.Prepare(kernel, backward);
        // Warm up for at least a second (JIT, allocator, and libtorch's OpenMP workers, which keep spinning for a
        // while after heavy libtorch work and slow the next runs several-fold).
        long warmUp = Stopwatch.GetTimestamp();
        do prepared.Run();
        while (Stopwatch.GetElapsedTime(warmUp) < TimeSpan.FromSeconds(1));
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            prepared.Run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }
}
