using System.CommandLine;
using Mamba.Host.Commands;

var root = new RootCommand("mamba: runs Mamba Platform jobs, plugins and benchmarks headless.");
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync();
