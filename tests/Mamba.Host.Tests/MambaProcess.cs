using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Mamba.Host.Tests;

/// <summary>The real <c>mamba</c> host, started as a process the way users start it.</summary>
public sealed class MambaProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new(), stderr = new();

    public MambaProcess(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
        : this(HostAssembly, workingDirectory, environment, args)
    {
    }

    /// <summary>Starts the host at <paramref name="hostAssembly"/> (another build of it) instead of this repository's.</summary>
    public MambaProcess(string hostAssembly, string workingDirectory, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(hostAssembly);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["MAMBA_PLUGIN_PATH"] = "";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string HostAssembly => Metadata("HostAssembly");

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    public static IReadOnlyList<string> TestPluginLayouts => Metadata("TestPlugins").Split(';', StringSplitOptions.RemoveEmptyEntries);

    public string Output { get { lock (stdout) return stdout.ToString(); } }

    public string Errors { get { lock (stderr) return stderr.ToString(); } }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>Runs to the end and returns (exit code, stdout, stderr).</summary>
    public static (int ExitCode, string Output, string Errors) Run(string workingDirectory, params string[] args) =>
        RunWith(workingDirectory, null, args);

    public static (int ExitCode, string Output, string Errors) RunWith(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var mamba = new MambaProcess(workingDirectory, environment, args);
        int code = mamba.WaitForExit(TimeSpan.FromMinutes(3));
        return (code, mamba.Output, mamba.Errors);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mamba did not exit within {timeout}. stderr:\n{Errors}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Waits until stderr contains <paramref name="text"/>.</summary>
    public void WaitForError(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Errors.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"mamba exited ({process.ExitCode}) before printing '{text}'. stderr:\n{Errors}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"no '{text}' within {timeout}. stderr:\n{Errors}");
            Thread.Sleep(20);
        }
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }

    private static string Metadata(string key) =>
        typeof(MambaProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}
