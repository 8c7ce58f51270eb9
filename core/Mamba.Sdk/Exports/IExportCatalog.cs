namespace Mamba.Sdk.Exports;

/// <summary>What the host knows about one export without creating it.</summary>
/// <param name="Contract">The SDK contract (<see cref="IJobTask"/>, <see cref="IDatasetReader"/>…).</param>
/// <param name="Name">The name it is exported under.</param>
/// <param name="PluginId">The plugin that exports it.</param>
/// <param name="PluginVersion">That plugin's version.</param>
/// <param name="ImplementationType">The exported class.</param>
/// <param name="Attribute">The export attribute, with any contract-specific metadata.</param>
public sealed record ExportInfo(Type Contract, string Name, string PluginId, string PluginVersion, Type ImplementationType, MambaExportAttribute Attribute)
{
    /// <summary>The attribute's description.</summary>
    public string? Description => Attribute.Description;
}

/// <summary>An export created on first use.</summary>
public sealed class Export<T>(ExportInfo info, Func<T> create) where T : class
{
    private readonly Lazy<T> value = new(create);

    /// <summary>The export's metadata.</summary>
    public ExportInfo Info { get; } = info;

    /// <summary>The instance, created (with its constructor's services) on first access.</summary>
    public T Value => value.Value;
}

/// <summary>
/// Every export of every loaded plugin. Exports are visible across plugins: a job of one plugin may use a reader
/// or metric another exports.
/// </summary>
public interface IExportCatalog
{
    /// <summary>All exports' metadata.</summary>
    IReadOnlyList<ExportInfo> All { get; }

    /// <summary>The exports whose class implements <typeparamref name="T"/>, created lazily; the running job's plugin first.</summary>
    IEnumerable<Export<T>> Get<T>() where T : class;
}
