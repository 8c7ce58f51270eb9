using Mamba.Core.Scan;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class ScanKernelRegistryTests
{
    private static ScanProblem Cpu(ScalarType type) => new(ScanKind.Selective, DeviceType.CPU, type, 16);

    [Fact]
    public void Core_kernels_are_exported_with_their_metadata()
    {
        var names = ScanKernelRegistry.WithCoreKernels().Kernels.Select(k => k.Metadata.Name);

        Assert.Equal(["fused-cpu", "chunked", "reference"], names);
    }

    [Fact]
    public void Fp32_on_cpu_gets_the_fused_kernel_and_other_dtypes_fall_back_to_chunked()
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions();

        Assert.IsType<FusedCpuScan>(registry.Select(Cpu(ScalarType.Float32)));
        Assert.IsType<ChunkedScan>(registry.Select(Cpu(ScalarType.Float64)));
        Assert.IsType<ChunkedScan>(registry.Select(Cpu(ScalarType.BFloat16)));
        Assert.IsType<ChunkedScan>(registry.Select(new ScanProblem(ScanKind.Ssd, DeviceType.CUDA, ScalarType.Float32, 128)));
    }

    [Fact]
    public void Configuration_forces_a_kernel_by_name()
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions { Kernel = "reference" };

        Assert.IsType<ReferenceScan>(registry.Select(Cpu(ScalarType.Float32)));
    }

    [Fact]
    public void A_forced_kernel_that_cannot_run_the_problem_falls_back_with_the_reason_logged()
    {
        var log = new RecordingLogger();
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions { Kernel = "fused-cpu" };
        registry.Logger = log;

        var kernel = registry.Select(Cpu(ScalarType.Float64));

        Assert.IsType<ChunkedScan>(kernel);
        var line = Assert.Single(log.Lines);
        Assert.Contains("chunked", line);
        Assert.Contains("fused-cpu (forced by configuration)", line);
        Assert.Contains("Float64", line);
    }

    [Fact]
    public void An_unknown_kernel_name_lists_the_known_ones()
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions { Kernel = "cuda-fused" };

        var error = Assert.Throws<KeyNotFoundException>(() => registry.Select(Cpu(ScalarType.Float32)));

        Assert.Contains("cuda-fused", error.Message);
        Assert.Contains("fused-cpu, chunked, reference", error.Message);
    }

    [Fact]
    public void The_choice_is_logged_once_per_problem()
    {
        var log = new RecordingLogger();
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions();
        registry.Logger = log;

        for (int i = 0; i < 3; i++) registry.Select(Cpu(ScalarType.Float32));
        registry.Select(Cpu(ScalarType.Float64));

        Assert.Equal(2, log.Lines.Count);
        Assert.Contains("fused-cpu (", log.Lines[0]);
        Assert.Contains("-bit SIMD)", log.Lines[0]);
    }

    [Fact]
    public void A_plugin_kernel_with_higher_priority_wins_where_it_can_run()
    {
        var registry = ScanKernelRegistry.WithCoreKernels();
        registry.Options = new ScanOptions();
        registry.Register(new Float64OnlyKernel());

        Assert.IsType<Float64OnlyKernel>(registry.Select(Cpu(ScalarType.Float64)));
        Assert.IsType<FusedCpuScan>(registry.Select(Cpu(ScalarType.Float32)));
        Assert.Throws<InvalidOperationException>(() => registry.Register(new Float64OnlyKernel()));
    }

    [Fact]
    public void An_extension_adds_kernels_without_changing_the_registry_it_extends()
    {
        var host = ScanKernelRegistry.WithCoreKernels(new ScanOptions { Kernel = "chunked" });

        var job = host.Extend([]);
        job.Register(new Float64OnlyKernel());

        Assert.Equal(["test-f64", "fused-cpu", "chunked", "reference"], job.Kernels.Select(k => k.Metadata.Name));
        Assert.Equal(["fused-cpu", "chunked", "reference"], host.Kernels.Select(k => k.Metadata.Name));
        Assert.Same(host.Options, job.Options);
    }

    [Fact]
    public async Task A_registry_in_use_is_current_along_the_async_flow_and_the_previous_one_returns_after()
    {
        var outside = ScanKernelRegistry.Current;
        var job = ScanKernelRegistry.WithCoreKernels();

        using (job.Use())
        {
            Assert.Same(job, ScanKernelRegistry.Current);
            Assert.Same(job, await Task.Run(() => ScanKernelRegistry.Current));
        }

        Assert.Same(outside, ScanKernelRegistry.Current);
        Assert.Same(outside, await Task.Run(() => ScanKernelRegistry.Current));
    }

    [Fact]
    public async Task The_fallback_registry_refuses_new_kernels_so_no_code_can_change_it_for_the_whole_process()
    {
        var fallback = await Task.Run(() => ScanKernelRegistry.Current);

        var error = Assert.Throws<InvalidOperationException>(() => fallback.Register(new Float64OnlyKernel()));

        Assert.Contains("Use()", error.Message);
        Assert.Equal(["fused-cpu", "chunked", "reference"], fallback.Kernels.Select(k => k.Metadata.Name));
    }

    [ScanKernel("test-f64", DTypes = "Float64", Priority = 500)]
    private sealed class Float64OnlyKernel : IScanKernel
    {
        public string? WhyUnsupported(in ScanProblem problem) => null;
        public SelectiveScanOutput SelectiveScan(SelectiveScanInputs inputs) => throw new NotSupportedException();
        public SsdScanOutput Ssd(SsdScanInputs inputs) => throw new NotSupportedException();
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Lines { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
