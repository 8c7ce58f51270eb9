using System.CommandLine;
using Mamba.Core.Scan;
using Mamba.Host.Commands;
using Mamba.Host.Jobs;
using Mamba.Host.Plugins;
using Mamba.Host.Terminal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Mamba.Host;

/// <summary>The generic host every command runs in: configuration, logging (console on stderr, the run's log file), the plugin catalog and the job runner.</summary>
internal static class MambaHost
{
    /// <summary>
    /// A builder with the platform's services, configured by the global options of <paramref name="command"/>
    /// (<c>--plugins</c>, <c>--verbose</c>); commands add their own (the worker adds its hosted service).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(ParseResult command)
    {
        bool verbose = command.GetValue(GlobalOptions.Verbose);
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environment.GetEnvironmentVariable("MAMBA_ENVIRONMENT") ?? Environments.Production,
        });
        builder.Configuration.AddEnvironmentVariables("MAMBA_");

        var runLog = new RunLog();
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.FormatterName = ConsoleLineFormatter.FormatterName)
            .AddConsoleFormatter<ConsoleLineFormatter, ConsoleLineFormatterOptions>(o =>
            {
                o.TimestampFormat = "HH:mm:ss ";
                o.IncludeStackTraces = verbose;
            });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddProvider(runLog);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        var search = new PluginSearchOptions();
        foreach (string directory in command.GetValue(GlobalOptions.Plugins) ?? []) search.Directories.Add(directory);
        builder.Services.AddSingleton(search);
        builder.Services.AddSingleton(runLog);
        builder.Services.AddSingleton(services => ScanKernelRegistry.WithCoreKernels(
            ScanSettings(builder.Configuration.GetSection("Scan")), services.GetRequiredService<ILogger<ScanKernelRegistry>>()));
        builder.Services.AddSingleton<PluginCatalog>();
        builder.Services.AddSingleton<TerminalProgress>();
        builder.Services.AddSingleton<JobRunner>();
        return builder;
    }

    /// <summary>The platform's host for <paramref name="command"/>, with no services added.</summary>
    public static IHost Build(ParseResult command) => CreateBuilder(command).Build();

    /// <summary>
    /// The "Scan" configuration section (<c>MAMBA_Scan__Kernel</c>, <c>MAMBA_Scan__CheckFinite</c>), under the
    /// environment variables the core reads itself (MAMBA_SCAN_KERNEL, MAMBA_SCAN_CHECK_FINITE), which win.
    /// </summary>
    private static ScanOptions ScanSettings(IConfigurationSection section)
    {
        var settings = section.Get<ScanOptions>() ?? new ScanOptions();
        var environment = ScanOptions.FromEnvironment();
        return new ScanOptions
        {
            Kernel = environment.Kernel ?? settings.Kernel,
            CheckFinite = environment.CheckFinite || settings.CheckFinite,
        };
    }
}
