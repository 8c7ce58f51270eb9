using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Mamba.Core.Scan;

namespace Mamba.Benchmarks;

/// <summary>
/// The scan kernels on the design card's shapes, forward and forward+backward.
/// Run: <c>dotnet run -c Release --project tests/Mamba.Benchmarks -- --filter '*ScanBenchmarks*'</c>.
/// Only the fused kernel is measured here, with BenchmarkDotNet's statistics; <c>mamba bench scan</c> puts it next to
/// the chunked and reference kernels (seconds per call, and the chunked backward of the larger shapes does not fit in
/// memory) and reports the speed-ups.
/// </summary>
[Config(typeof(Config))]
public class ScanBenchmarks
{
    private PreparedScan? _prepared;

    [ParamsSource(nameof(Workloads))]
    public string Workload { get; set; } = "";

    [Params("fused-cpu")]
    public string Kernel { get; set; } = "";

    [Params(false, true)]
    public bool Backward { get; set; }

    public static IEnumerable<string> Workloads => ScanWorkload.Standard.Select(w => w.Name);

    internal ScanWorkload Current => ScanWorkload.Standard.Single(w => w.Name == Workload);

    [GlobalSetup]
    public void Setup() => _prepared = Current.Prepare(ScanKernelRegistry.WithCoreKernels().Get(Kernel), Backward);

    [GlobalCleanup]
    public void Cleanup() => _prepared?.Dispose();

    [Benchmark]
    public void Scan() => _prepared!.Run();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(7).WithLaunchCount(1));
            AddColumn(StatisticColumn.Median, new ValueColumn("G updates/s", "Billions of (batch, channel, step, state) updates per second at the median time", StateUpdates));
        }
    }

    /// <summary>G state-updates/s at the median time.</summary>
    private static string StateUpdates(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (summary[benchmarkCase]?.ResultStatistics is not { } stats) return "-";
        string name = (string)benchmarkCase.Parameters[nameof(Workload)];
        var workload = ScanWorkload.Standard.Single(w => w.Name == name);
        return (workload.StateUpdates / (stats.Median / 1e9) / 1e9).ToString("F3", System.Globalization.CultureInfo.InvariantCulture);
    }
}
