using Mamba.Sdk.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace Mamba.Sdk.Exports;

/// <summary>
/// One thing a job can do (train, evaluate, predict…). The host binds the job's <c>options</c> to
/// <see cref="OptionsType"/>, validates them, then calls <see cref="RunAsync"/>. Derive from
/// <see cref="JobTask{TOptions}"/> rather than implementing this directly.
/// </summary>
public interface IJobTask
{
    /// <summary>The options class the job's <c>options</c> object binds to; its JSON Schema is what <c>inspect</c> shows.</summary>
    Type OptionsType { get; }

    /// <summary>
    /// Checks what can be known before the run starts: rules between options, and the inputs themselves (headers,
    /// sizes against the options). The host calls it for <c>mamba validate</c> and before <c>mamba run</c> creates a
    /// run folder. Throw <see cref="JobOptionsException"/> (exit 2) or <see cref="Data.DataFormatException"/> (exit 1).
    /// </summary>
    void Check(JobCheckContext context, object options)
    {
    }

    /// <summary>Runs the task. Throw <see cref="OperationCanceledException"/> on cancellation, after checkpointing.</summary>
    Task RunAsync(JobContext context, object options, CancellationToken cancellation);
}

/// <summary>A job task with a typed options class.</summary>
public abstract class JobTask<TOptions> : IJobTask where TOptions : class
{
    /// <inheritdoc/>
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc/>
    public Task RunAsync(JobContext context, object options, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(context);
        return RunAsync(context, (TOptions)options, cancellation);
    }

    /// <inheritdoc/>
    void IJobTask.Check(JobCheckContext context, object options)
    {
        ArgumentNullException.ThrowIfNull(context);
        Check(context, (TOptions)options);
    }

    /// <summary>Checks the inputs and option rules before the run starts (see <see cref="IJobTask.Check"/>); by default nothing.</summary>
    protected virtual void Check(JobCheckContext context, TOptions options)
    {
    }

    /// <summary>Runs the task with bound, validated options.</summary>
    protected abstract Task RunAsync(JobContext context, TOptions options, CancellationToken cancellation);
}

/// <summary>Reads a file into an in-memory dataset. Implement <see cref="IDatasetReader{TData}"/>.</summary>
public interface IDatasetReader
{
    /// <summary>What <see cref="IDatasetReader{TData}.Read"/> returns; a job asks for readers of the type it consumes.</summary>
    Type DataType { get; }
}

/// <summary>Reads a file into a <typeparamref name="TData"/>.</summary>
public interface IDatasetReader<out TData> : IDatasetReader
{
    /// <summary>Reads <paramref name="path"/>; malformed content throws <see cref="Data.DataFormatException"/> naming the place.</summary>
    TData Read(string path, CancellationToken cancellation);
}

/// <summary>A metric over predictions and targets of the same shape.</summary>
[Obsolete("A metric over tensors that only its own plugin looked up; compute metrics in the plugin. Removed in SDK 2.0.")]
public interface IMetric
{
    /// <summary>The metric's value; reductions over batch and time are the metric's own.</summary>
    double Compute(Tensor predictions, Tensor targets);
}

/// <summary>Builds a model module. Implement <see cref="IModelFactory{TSpec}"/>.</summary>
[Obsolete("A model spec is a type of its own plugin, which no other plugin can see, so no other plugin can build models for it; build models in the plugin. Removed in SDK 2.0.")]
public interface IModelFactory
{
    /// <summary>The specification type the factory takes (sizes from the data plus the job's model options).</summary>
    Type SpecType { get; }
}

/// <summary>Builds a model from a <typeparamref name="TSpec"/>.</summary>
[Obsolete("A model spec is a type of its own plugin, which no other plugin can see, so no other plugin can build models for it; build models in the plugin. Removed in SDK 2.0.")]
public interface IModelFactory<in TSpec> : IModelFactory
{
    /// <summary>A new model with freshly initialised parameters.</summary>
    nn.Module Create(TSpec spec);
}

/// <summary>
/// Optional hook: a public class implementing it is created once when its plugin loads and may register services
/// the plugin's exports take in their constructors. An exception here marks the plugin broken, not the host.
/// </summary>
public interface IPluginStartup
{
    /// <summary>Adds the plugin's services.</summary>
    void ConfigureServices(IServiceCollection services);
}
