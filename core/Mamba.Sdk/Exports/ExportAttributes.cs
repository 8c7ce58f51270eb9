namespace Mamba.Sdk.Exports;

/// <summary>
/// Marks a public class of a plugin as an export of one SDK contract. The host finds exports by these attributes
/// without running plugin code, and keeps the attribute as the export's metadata.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class MambaExportAttribute(string name) : Attribute
{
    /// <summary>The name jobs and other plugins use to pick this export (<c>train</c>, <c>csv</c>, <c>mse</c>).</summary>
    public string Name { get; } = name;

    /// <summary>One line for <c>mamba plugins inspect</c>.</summary>
    public string? Description { get; set; }

    /// <summary>The contract the exported class must implement.</summary>
    public abstract Type Contract { get; }
}

/// <summary>Exports an <see cref="IJobTask"/> under a task name; a job picks it by plugin and task.</summary>
public sealed class JobTaskAttribute(string name) : MambaExportAttribute(name)
{
    /// <inheritdoc/>
    public override Type Contract => typeof(IJobTask);
}

/// <summary>Exports an <see cref="IDatasetReader"/> for a format; chosen by the format name or a file extension.</summary>
public sealed class DatasetReaderAttribute(string format) : MambaExportAttribute(format)
{
    /// <summary>File extensions this reader claims, with the dot (<c>.csv</c>).</summary>
    public string[] Extensions { get; set; } = [];

    /// <inheritdoc/>
    public override Type Contract => typeof(IDatasetReader);
}

/// <summary>Exports an <see cref="IMetric"/> under its name.</summary>
[Obsolete("A metric over tensors that only its own plugin looked up; compute metrics in the plugin. Removed in SDK 2.0.")]
public sealed class MetricAttribute(string name) : MambaExportAttribute(name)
{
    /// <summary>True for scores (accuracy), false for errors (MSE).</summary>
    public bool HigherIsBetter { get; set; }

    /// <inheritdoc/>
    public override Type Contract => typeof(IMetric);
}

/// <summary>Exports an <see cref="IModelFactory"/> under the <c>model.type</c> jobs name.</summary>
[Obsolete("A model spec is a type of its own plugin, which no other plugin can see, so no other plugin can build models for it; build models in the plugin. Removed in SDK 2.0.")]
public sealed class ModelAttribute(string type) : MambaExportAttribute(type)
{
    /// <inheritdoc/>
    public override Type Contract => typeof(IModelFactory);
}
