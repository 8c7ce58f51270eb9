using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mamba.Genomics.Data;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using Mamba.Genomics.Training;

namespace Mamba.Benchmarks;

/// <summary>
/// Bits per base of the bundled 1.04 Mb C. trachomatis genome (or its first 64k / 256k bases) with the genomics
/// plugin's default causal model (d_model 128, 4 × Mamba-1; weights do not change the cost), streamed through the
/// recurrent state in 4,096-base chunks, against one pass over the whole sequence (chunk = length). The extra column
/// is the peak growth of the process's resident memory during a call: glibc's free memory is handed back
/// (<c>malloc_trim</c>) before each call, and a sampler reads the resident set every 5 ms while it runs.
/// Run: <c>dotnet run -c Release --project tests/Mamba.Benchmarks -- --filter '*GenomeStreamingBenchmarks*'</c>.
/// </summary>
[Config(typeof(Config))]
public partial class GenomeStreamingBenchmarks : IDisposable
{
    private static readonly ConcurrentDictionary<string, long> PeakGrowth = new();
    private DnaLanguageModel? model;
    private int[] genome = [];

    public static IEnumerable<object[]> Cases() =>
    [
        [65_536, 4096], [262_144, 4096], [1_042_519, 4096],
        [65_536, 65_536], [262_144, 262_144],
    ];

    [GlobalSetup]
    public void Setup()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "genomics", "ct.fasta.gz");
        var record = SequenceReader.ReadAsync(path).ToBlockingEnumerable().Single();
        genome = NucleotideTokenizer.Encode(record.Bases);
        TorchSharp.torch.random.manual_seed(0);
        model = new DnaLanguageModel(new DnaModelSpec(Objective.Causal, "M1,M1,M1,M1", 128, 16, 4, false));
    }

    [GlobalCleanup]
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    [ArgumentsSource(nameof(Cases))]
    public double BitsPerBase(int length, int chunk)
    {
        _ = NativeMethods.malloc_trim(0);   // returns whether memory was released; either way the baseline is read next
        long before = Environment.WorkingSet, peak = before;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), Environment.WorkingSet));
                await Task.Delay(5);
            }
        });
        var (bits, _) = Pretraining.BitsPerBase(model!.Causal, genome[..length], chunk);
        done.Cancel();
        sampler.Wait();
        long growth = Math.Max(peak, Environment.WorkingSet) - before;
        PeakGrowth.AddOrUpdate(Key(length, chunk), growth, (_, old) => Math.Max(old, growth));
        return bits;
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) model?.Dispose();
    }

    private static string Key(object length, object chunk) => FormattableString.Invariant($"{length}/{chunk}");

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithWarmupCount(1).WithIterationCount(3).WithLaunchCount(1).WithToolchain(InProcessEmitToolchain.Instance));
            AddColumn(StatisticColumn.Median, new ValueColumn("Peak RSS growth (MiB)", "Largest growth of the process's resident set during one call (sampled after each chunk)", PeakGrowthMiB));
        }
    }

    /// <summary>Largest resident-memory growth seen during one call of the case, in MiB.</summary>
    private static string PeakGrowthMiB(Summary summary, BenchmarkCase benchmarkCase)
    {
        var arguments = benchmarkCase.Parameters.Items.Select(p => p.Value).ToArray();
        return PeakGrowth.TryGetValue(Key(arguments[0], arguments[1]), out long bytes)
            ? (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture)
            : "-";
    }

    private static partial class NativeMethods
    {
        [System.Runtime.InteropServices.LibraryImport("libc.so.6")]
        internal static partial int malloc_trim(nuint pad);
    }
}
