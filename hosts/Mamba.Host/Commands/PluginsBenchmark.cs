using System.Diagnostics;
using System.Globalization;

namespace Mamba.Host.Commands;

/// <summary><c>mamba bench plugins</c>: wall time of a fresh <c>mamba plugins list</c> process, as a user meets it.</summary>
internal static class PluginsBenchmark
{
    public static int Run(int runs, CancellationToken cancellation)
    {
        string entry = Environment.GetCommandLineArgs()[0];
        bool viaDotnet = entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var times = new List<double>();
        for (int i = 0; i <= runs && !cancellation.IsCancellationRequested; i++)
        {
            var start = new ProcessStartInfo(viaDotnet ? "dotnet" : entry) { RedirectStandardOutput = true, RedirectStandardError = true };
            if (viaDotnet) start.ArgumentList.Add(entry);
            foreach (string arg in new[] { "plugins", "list", "--json" }) start.ArgumentList.Add(arg);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.Error.WriteLine($"mamba plugins list exited {process.ExitCode}");
                return ExitCodes.JobFailed;
            }
            if (i > 0) times.Add(clock.Elapsed.TotalSeconds);   // the first run warms the disk cache
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mamba plugins list: median {times[times.Count / 2]:F3} s, min {times[0]:F3} s, max {times[^1]:F3} s over {times.Count} runs"));
        return ExitCodes.Success;
    }
}
