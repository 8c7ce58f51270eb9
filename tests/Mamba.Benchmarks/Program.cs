using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Mamba.Benchmarks.ScanBenchmarks).Assembly).Run(args);
