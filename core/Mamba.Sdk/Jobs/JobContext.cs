using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Training;
using Microsoft.Extensions.Logging;

namespace Mamba.Sdk.Jobs;

/// <summary>Everything a running task gets from the host besides its options.</summary>
public sealed class JobContext : JobCheckContext
{
    private TrainingRun? training;
    private ModelStore? models;
    /// <summary>The plugin running the job, as loaded.</summary>
    public required PluginIdentity Plugin { get; init; }

    /// <summary>Where the run's artifacts go, written atomically.</summary>
    public required ArtifactWriter Artifacts { get; init; }

    /// <summary>A folder for checkpoints that survives cancellation; <c>mamba run --resume</c> gives the same one back.</summary>
    public required string CheckpointDirectory { get; init; }

    /// <summary>True when this run continues an interrupted one (cancelled or killed) from its checkpoint.</summary>
    public bool Resume { get; init; }

    /// <summary>This process's share of the work (one shard unless run with <c>--shard</c>).</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.Whole;

    /// <summary>The host's and the plugins' services.</summary>
    public required IServiceProvider Services { get; init; }

    /// <summary>The run's logger (console and the run's log file).</summary>
    public required ILogger Logger { get; init; }

    /// <summary>Progress bars on a terminal, log lines otherwise.</summary>
    public required IJobProgress Progress { get; init; }

    /// <summary>Fits models with this run's checkpoints, resume, progress and best weights, recorded in <c>training.json</c>.</summary>
    public TrainingRun Training => training ??= new TrainingRun(CheckpointDirectory, Artifacts, Progress, Logger);

    /// <summary>Saves this run's trained models under <c>models/</c> and loads those of earlier runs.</summary>
    public ModelStore Models => models ??= new ModelStore(this);
}

/// <summary>A plugin's id and version.</summary>
public sealed record PluginIdentity(string Id, string Version)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Id}@{Version}";
}
