using System.CommandLine;
using System.Runtime.InteropServices;
using Mamba.Host;
using Mamba.Host.Commands;

// Before libtorch allocates anything: long-sequence activations are large and short-lived.
NativeHeap.RetainFreedMemory();
// Before MKL starts: a seeded job, and a resumed run, reproduce their results to the bit.
ReproducibleMath.Enable();

// One token for the whole process: Ctrl-C or SIGTERM cancels the running job, which checkpoints and exits 130.
// A second signal stops at once.
using var cancellation = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (cancellation.IsCancellationRequested) Environment.Exit(ExitCodes.Cancelled);
    Console.Error.WriteLine($"{context.Signal}: cancelling (again to stop at once)...");
    cancellation.Cancel();
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

var root = new RootCommand("mamba: runs Mamba Platform jobs, plugins and benchmarks headless.");
root.Options.Add(GlobalOptions.Plugins);
root.Options.Add(GlobalOptions.Verbose);
root.Subcommands.Add(PluginsCommand.Create());
root.Subcommands.Add(RunCommand.Create(cancellation.Token));
root.Subcommands.Add(RunCommand.CreateValidate());
root.Subcommands.Add(WorkerCommand.Create(cancellation.Token));
root.Subcommands.Add(BenchCommand.Create());

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine("See 'mamba --help'.");
    return ExitCodes.InvalidJob;
}
return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancellation.Token);
