using Mamba.Core.Checkpoints;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Sdk.Training;

/// <summary>
/// A run's trained models (<see cref="JobContext.Models"/>): each under <c>models/&lt;name&gt;/</c> as
/// <c>model.safetensors</c> (mamba_ssm tensor names) and <c>config.json</c> (what it takes to build it again), both
/// written atomically; a later job loads them from that run's folder.
/// </summary>
public sealed class ModelStore
{
    /// <summary>The folder in a run that holds its models.</summary>
    public const string Folder = "models";

    private readonly JobContext context;

    internal ModelStore(JobContext context) => this.context = context;

    /// <summary>Saves <paramref name="model"/> with <paramref name="config"/> as this run's model <paramref name="name"/>; returns its folder.</summary>
    public string Save<TConfig>(string name, nn.Module model, TConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        string relative = Path.Combine(Folder, name);
        string folder = context.Artifacts.PathOf(relative);
        ModelCheckpoint.Save(folder, model, config);
        context.Artifacts.Record(Path.Combine(relative, "model.safetensors"));
        context.Artifacts.Record(Path.Combine(relative, "config.json"));
        return folder;
    }

    /// <summary>
    /// Model <paramref name="name"/> of the run in <paramref name="run"/> (relative paths from the job file's folder):
    /// its config is read, <paramref name="create"/> builds the module from it (and may refuse a config that does not
    /// fit the job with a <see cref="JobOptionsException"/>), then the weights are checked and loaded.
    /// </summary>
    /// <param name="run">The run folder (an option's value; relative paths from the job file's folder).</param>
    /// <param name="name">The model's name in that run.</param>
    /// <param name="create">Builds the module from the saved config, or refuses it.</param>
    /// <param name="key">The job option that named the run, for error messages.</param>
    public (TModel Model, TConfig Config) Load<TConfig, TModel>(string run, string name, Func<TConfig, TModel> create, string key = "options.model.weights")
        where TModel : nn.Module
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(create);
        string folder = Path.Combine(context.ResolvePath(run), Folder, name);
        if (!Directory.Exists(folder))
            throw new JobOptionsException(key, $"{context.ResolvePath(run)} has no model '{name}' ({folder} is missing); name the run folder of a job that trained one");
        var config = ModelCheckpoint.LoadConfig<TConfig>(folder);
        var model = create(config);
        try
        {
            ModelCheckpoint.LoadWeights(model, Path.Combine(folder, "model.safetensors"));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return (model, config);
    }
}
