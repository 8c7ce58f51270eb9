using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan;

/// <summary>A registered kernel: its exported metadata and the kernel, created on first use.</summary>
public sealed record ScanKernelDescriptor(ScanKernelAttribute Metadata, Lazy<IScanKernel> Kernel);

/// <summary>
/// A set of scan kernels, chosen per problem by device, dtype and shape, highest priority first.
/// <see cref="ScanOptions.Kernel"/> (or MAMBA_SCAN_KERNEL) forces one by name. Each distinct choice is logged once.
/// </summary>
/// <remarks>
/// There is no process-wide registry to mutate. The host owns one (a DI singleton with the core's kernels, its
/// configuration and its logging) and gives each job an <see cref="Extend">extension</see> holding the kernels of the
/// plugins that job composes, made <see cref="Current"/> for the job's run with <see cref="Use"/>. Models built without
/// an explicit registry dispatch to <see cref="Current"/>.
/// </remarks>
public sealed partial class ScanKernelRegistry
{
    private static readonly AsyncLocal<ScanKernelRegistry?> Ambient = new();
    private static readonly Lazy<ScanKernelRegistry> CoreOnly = new(() => WithCoreKernels().Frozen());

    private readonly List<ScanKernelDescriptor> _kernels = [];
    private readonly ConcurrentDictionary<(string Kernel, ScanProblem Problem), bool> _loggedChoices = new();
    private readonly Lock _gate = new();
    private bool _frozen;

    /// <summary>
    /// The registry of the running job (the one made current by <see cref="Use"/> on this thread or async flow), else
    /// a read-only one holding the core's kernels with settings from the environment variables.
    /// </summary>
    public static ScanKernelRegistry Current => Ambient.Value ?? CoreOnly.Value;

    /// <summary>Selection settings; starts from the environment variables.</summary>
    public ScanOptions Options { get; set; } = ScanOptions.FromEnvironment();

    /// <summary>Where choices and fallbacks are logged.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>The registered kernels, highest priority first.</summary>
    public IReadOnlyList<ScanKernelDescriptor> Kernels
    {
        get { lock (_gate) return [.. _kernels]; }
    }

    /// <summary>A registry holding the core's reference, chunked and fused CPU kernels.</summary>
    /// <param name="options">Selection settings; null for those of the environment variables.</param>
    /// <param name="logger">Where choices are logged; null for nowhere.</param>
    public static ScanKernelRegistry WithCoreKernels(ScanOptions? options = null, ILogger? logger = null)
    {
        var registry = new ScanKernelRegistry { Options = options ?? ScanOptions.FromEnvironment(), Logger = logger ?? NullLogger.Instance };
        registry.RegisterExports(typeof(ScanKernelRegistry).Assembly);
        return registry;
    }

    /// <summary>
    /// A new registry with this one's kernels, settings and logger plus the exported kernels of
    /// <paramref name="assemblies"/>; this one is left as it is. The host gives each job one over its plugins.
    /// </summary>
    public ScanKernelRegistry Extend(IEnumerable<Assembly> assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        var extended = new ScanKernelRegistry { Options = Options, Logger = Logger };
        foreach (var descriptor in Kernels) extended.Add(descriptor.Metadata, descriptor.Kernel);
        foreach (var assembly in assemblies.Distinct()) extended.RegisterExports(assembly);
        return extended;
    }

    /// <summary>
    /// Makes this registry <see cref="Current"/> on this thread and the async flow that follows it, until the returned
    /// scope is disposed (which restores the one before).
    /// </summary>
    public IDisposable Use()
    {
        var previous = Ambient.Value;
        Ambient.Value = this;
        return new AmbientScope(previous);
    }

    /// <summary>Registers every public type of <paramref name="assembly"/> that carries <see cref="ScanKernelAttribute"/>.</summary>
    /// <returns>How many kernels were added.</returns>
    public int RegisterExports(Assembly assembly)
    {
        int added = 0;
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.GetCustomAttribute<ScanKernelAttribute>() is not { } metadata) continue;
            if (!typeof(IScanKernel).IsAssignableFrom(type) || type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
                throw new InvalidOperationException(
                    $"{type.FullName} is exported as scan kernel '{metadata.Name}' but is not a concrete IScanKernel with a public parameterless constructor.");
            Add(metadata, new Lazy<IScanKernel>(() => (IScanKernel)Activator.CreateInstance(type)!));
            added++;
        }
        return added;
    }

    /// <summary>Registers a kernel instance; its type must carry <see cref="ScanKernelAttribute"/>.</summary>
    public void Register(IScanKernel kernel)
    {
        var metadata = kernel.GetType().GetCustomAttribute<ScanKernelAttribute>()
            ?? throw new ArgumentException($"{kernel.GetType().FullName} has no [ScanKernel] attribute.", nameof(kernel));
        Add(metadata, new Lazy<IScanKernel>(kernel));
    }

    /// <summary>The kernel registered under <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No kernel has that name; the message lists the names.</exception>
    public IScanKernel Get(string name) => Find(name).Kernel.Value;

    /// <summary>Chooses the kernel for <paramref name="problem"/>: the forced one if it can run it, else the highest-priority one that can.</summary>
    public IScanKernel Select(in ScanProblem problem)
    {
        var reasons = new List<string>();
        if (Options.Kernel is { } forced)
        {
            var descriptor = Find(forced);
            string? why = WhyUnsupported(descriptor, problem);
            if (why is null) return Chosen(descriptor, problem, reasons);
            reasons.Add($"{forced} (forced by configuration): {why}");
        }

        foreach (var descriptor in Kernels)
        {
            string? why = WhyUnsupported(descriptor, problem);
            if (why is null) return Chosen(descriptor, problem, reasons);
            reasons.Add($"{descriptor.Metadata.Name}: {why}");
        }
        throw new NotSupportedException(
            $"No scan kernel can run a {problem.Kind} scan on {problem.Device} {problem.DType} with state size {problem.StateSize}: {string.Join("; ", reasons)}.");
    }

    private static string? WhyUnsupported(ScanKernelDescriptor descriptor, in ScanProblem problem) =>
        descriptor.Metadata.Admits(problem.Device, problem.DType)
            ? descriptor.Kernel.Value.WhyUnsupported(problem)
            : $"runs on {descriptor.Metadata.Devices} with {descriptor.Metadata.DTypes}";

    private IScanKernel Chosen(ScanKernelDescriptor descriptor, in ScanProblem problem, List<string> passedOver)
    {
        if (_loggedChoices.TryAdd((descriptor.Metadata.Name, problem), true))
        {
            string passed = passedOver.Count == 0 ? "none" : string.Join("; ", passedOver);
            string variant = descriptor.Kernel.Value.Variant;
            string kernel = variant.Length == 0 ? descriptor.Metadata.Name : $"{descriptor.Metadata.Name} ({variant})";
            LogChoice(Logger, kernel, problem.Kind, problem.Device, problem.DType, problem.StateSize, passed);
        }
        return descriptor.Kernel.Value;
    }

    private ScanKernelDescriptor Find(string name)
    {
        var kernels = Kernels;
        return kernels.FirstOrDefault(k => string.Equals(k.Metadata.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new KeyNotFoundException(
                $"No scan kernel named '{name}' (from {ScanOptions.KernelVariable} or the Scan:Kernel setting); known kernels: {string.Join(", ", kernels.Select(k => k.Metadata.Name))}.");
    }

    private ScanKernelRegistry Frozen()
    {
        _frozen = true;
        return this;
    }

    private void Add(ScanKernelAttribute metadata, Lazy<IScanKernel> kernel)
    {
        lock (_gate)
        {
            if (_frozen)
                throw new InvalidOperationException(
                    "The fallback scan-kernel registry holds the core's kernels only; add kernels to a registry of your own " +
                    "(ScanKernelRegistry.WithCoreKernels() or Extend) and make it current with Use().");
            if (_kernels.Any(k => string.Equals(k.Metadata.Name, metadata.Name, StringComparison.OrdinalIgnoreCase)))
                throw new InvalidOperationException($"A scan kernel named '{metadata.Name}' is already registered.");
            _kernels.Add(new ScanKernelDescriptor(metadata, kernel));
            _kernels.Sort((x, y) => y.Metadata.Priority.CompareTo(x.Metadata.Priority));
        }
    }

    private sealed class AmbientScope(ScanKernelRegistry? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Scan kernel {Kernel} chosen for {Kind} scans on {Device} {DType} (N = {StateSize}); passed over: {PassedOver}")]
    private static partial void LogChoice(ILogger logger, string kernel, ScanKind kind, DeviceType device, ScalarType dtype, long stateSize, string passedOver);
}
