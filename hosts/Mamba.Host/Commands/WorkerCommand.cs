using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using Mamba.Host.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Mamba.Host.Commands;

/// <summary><c>mamba worker --inbox DIR</c>: a hosted service that runs job files dropped into a folder, one at a time.</summary>
internal static class WorkerCommand
{
    public static Command Create(CancellationToken cancellation)
    {
        var inbox = new Option<string>("--inbox") { Description = "The folder to watch for *.json job files.", Required = true };
        var output = new Option<string>("--out") { Description = "Root folder for runs.", DefaultValueFactory = _ => "runs" };
        var poll = new Option<double>("--poll") { Description = "Seconds between looks at an empty inbox.", DefaultValueFactory = _ => 2 };
        var worker = new Command("worker",
            "Run jobs from an inbox folder: each moves to processing/, then done/ or failed/ with its result; stops cleanly on SIGTERM. Exit 1 if the worker itself fails.")
        {
            inbox, output, poll,
        };
        worker.SetAction(async (result, _) =>
        {
            var builder = MambaHost.CreateBuilder(result);
            builder.Services.AddOptions<InboxOptions>()
                .Configure(o =>
                {
                    o.Inbox = result.GetValue(inbox)!;
                    o.OutputRoot = result.GetValue(output)!;
                    o.PollSeconds = result.GetValue(poll);
                })
                .Validate(o => Validator.TryValidateObject(o, new ValidationContext(o), null, validateAllProperties: true),
                    "worker: --inbox and --out must be given and --poll must be between 0.05 and 3600 seconds")
                .ValidateOnStart();
            builder.Services.AddSingleton<InboxWorker>();
            builder.Services.AddHostedService(services => services.GetRequiredService<InboxWorker>());
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(2));
            using var host = builder.Build();
            InboxWorker inboxWorker;
            try
            {
                inboxWorker = host.Services.GetRequiredService<InboxWorker>();
                await host.RunAsync(cancellation).ConfigureAwait(false);
            }
            catch (OptionsValidationException e)
            {
                Console.Error.WriteLine(e.Message);
                return ExitCodes.InvalidJob;
            }
            if (inboxWorker.Failure is { } failure)
            {
                Console.Error.WriteLine($"worker: stopped on an error: {failure.Message}");
                return ExitCodes.JobFailed;
            }
            return ExitCodes.Success;
        });
        return worker;
    }
}

/// <summary>Settings of <c>mamba worker</c>, validated when the host starts.</summary>
internal sealed class InboxOptions
{
    [Required(AllowEmptyStrings = false)]
    public string Inbox { get; set; } = "";

    [Required(AllowEmptyStrings = false)]
    public string OutputRoot { get; set; } = "runs";

    [Range(0.05, 3600)]
    public double PollSeconds { get; set; } = 2;
}
