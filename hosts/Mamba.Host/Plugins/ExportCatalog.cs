using System.Collections.Concurrent;
using Mamba.Core.Scan;
using Mamba.Sdk.Exports;
using Microsoft.Extensions.DependencyInjection;

namespace Mamba.Host.Plugins;

/// <summary>
/// The exports a job sees, its own plugin's first. Each export is created once per run, on first use, with its
/// constructor's services from the host and the plugins' startup hooks.
/// </summary>
internal sealed class ExportCatalog(IReadOnlyList<ExportInfo> exports, ScanKernelRegistry scanKernels) : IExportCatalog, IDisposable
{
    private readonly ConcurrentDictionary<Type, object> instances = new();

    public IReadOnlyList<ExportInfo> All { get; } = exports;

    /// <summary>The host's scan kernels and those of the composed plugins; current while the job's task runs.</summary>
    public ScanKernelRegistry ScanKernels { get; } = scanKernels;

    public ServiceProvider? Services { get; set; }

    public IEnumerable<Export<T>> Get<T>() where T : class =>
        All.Where(e => e.ImplementationType.IsAssignableTo(typeof(T)))
           .Select(e => new Export<T>(e, () => (T)instances.GetOrAdd(e.ImplementationType, Create)));

    private object Create(Type type) =>
        ActivatorUtilities.CreateInstance(Services ?? throw new InvalidOperationException("The catalog has no services yet."), type);

    public void Dispose() => Services?.Dispose();
}
