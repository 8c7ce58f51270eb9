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
        return bench;
    }

    private static Command CreateScan()
    {
        var quick = new Option<bool>("--quick") { Description = "One Mamba-1 and one Mamba-2 shape, three timed runs each: a smoke run, not figures to record." };
        var repeat = new Option<int>("--repeat") { Description = "Timed runs per kernel and shape; the median is reported.", DefaultValueFactory = _ => 5 };
        var kernels = new Option<string[]>("--kernels")
        {
            Description = "Kernels to time, besides the reference that every speed-up is measured against.",
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
            var chosen = result.GetValue(kernels)!.Select(registry.Get).Zip(result.GetValue(kernels)!).ToList();
            int runs = isQuick ? 3 : result.GetValue(repeat);
            bool[] passes = result.GetValue(noBackward) ? [false] : [false, true];
            return Task.FromResult(RunScan(workloads, registry.Get("reference"), chosen, runs, passes, cancellation));
        });
        return scan;
    }

    private static int RunScan(List<ScanWorkload> workloads, IScanKernel reference, List<(IScanKernel Kernel, string Name)> kernels,
        int runs, bool[] passes, CancellationToken cancellation)
    {
        Console.WriteLine($"# mamba bench scan — {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, " +
                          $"AVX-512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, fp32, median of {runs} (reference: 1 run)");
        Console.WriteLine();
        Console.WriteLine("| shape | pass | kernel | median ms | G updates/s | × reference |");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: |");
        foreach (var workload in workloads)
        {
            foreach (bool backward in passes)
            {
                cancellation.ThrowIfCancellationRequested();
                string pass = backward ? "fwd+bwd" : "fwd";
                double referenceMs = MedianMilliseconds(workload, reference, backward, 1);
                Row(workload, pass, "reference", referenceMs, referenceMs);
                foreach (var (kernel, name) in kernels)
                {
                    cancellation.ThrowIfCancellationRequested();
                    Row(workload, pass, name, MedianMilliseconds(workload, kernel, backward, runs), referenceMs);
                }
            }
        }
        return 0;
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
        // Warm up for a second (JIT, allocator, and libtorch's OpenMP workers, which keep spinning for a while after
        // heavy libtorch work and slow the next runs several-fold); the single slow reference run needs none.
        if (runs > 1)
        {
            long warmUp = Stopwatch.GetTimestamp();
            do prepared.Run();
            while (Stopwatch.GetElapsedTime(warmUp) < TimeSpan.FromSeconds(1));
        }
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
