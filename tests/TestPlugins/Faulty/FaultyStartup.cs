using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Mamba.TestPlugins.Faulty;

/// <summary>Throws while registering services: the host must list the plugin as broken and carry on.</summary>
public sealed class FaultyStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services) => throw new InvalidOperationException("the faulty plugin refuses to start");
}

public sealed class NoOptions;

[JobTask("noop")]
public sealed class NoopTask : JobTask<NoOptions>
{
    protected override Task RunAsync(JobContext context, NoOptions options, CancellationToken cancellation) => Task.CompletedTask;
}
