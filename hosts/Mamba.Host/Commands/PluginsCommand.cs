using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mamba.Host.Jobs;
using Mamba.Host.Plugins;
using Mamba.Host.Terminal;
using Mamba.Sdk.Exports;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Mamba.Host.Commands;

/// <summary><c>mamba plugins list | inspect</c>.</summary>
internal static class PluginsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var load = new Option<bool>("--load")
        {
            Description = "Also load every usable plugin (runs its code: initialisers, startup) to show type-load and startup failures.",
        };
        var list = new Command("list", "Every plugin on the plugin path from its manifest: version, SDK range, status, and why a plugin cannot be used.")
        {
            json, load,
        };
        list.SetAction(result => List(result, result.GetValue(json), result.GetValue(load)));

        var id = new Argument<string>("plugin") { Description = "id, id@version or id@[range]" };
        var taskName = new Argument<string?>("task") { Description = "Only this task's options.", Arity = ArgumentArity.ZeroOrOne };
        var schema = new Option<bool>("--json") { Description = "The manifest, exports and each task's options as JSON Schema, instead of tables." };
        var inspect = new Command("inspect", "A plugin's tasks and, per task, every option: key, type, default, allowed values and description.")
        {
            id, taskName, schema,
        };
        inspect.SetAction(result => Inspect(result, result.GetValue(id)!, result.GetValue(taskName), result.GetValue(schema)));

        return new Command("plugins", "List and inspect plugins.") { list, inspect };
    }

    private static int List(ParseResult result, bool asJson, bool load)
    {
        using var host = MambaHost.Build(result);
        var catalog = host.Services.GetRequiredService<PluginCatalog>();
        if (load) catalog.LoadAll();
        var entries = catalog.Entries.OrderBy(e => e.Id, StringComparer.Ordinal).ThenByDescending(e => e.Version).ToList();
        if (asJson)
        {
            var array = new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e.Id,
                ["version"] = e.VersionText,
                ["status"] = e.Status.ToString().ToLowerInvariant(),
                ["sdk"] = e.Manifest?.Sdk.ToNormalizedString(),
                ["extends"] = e.Manifest is null ? null : new JsonArray([.. e.Manifest.Extends.Select(x => JsonValue.Create(x))]),
                ["description"] = e.Manifest?.Description,
                ["reason"] = e.Reason,
                ["directory"] = e.Directory,
            })]);
            Console.Out.WriteLine(new JsonObject { ["sdk"] = PluginCatalog.SdkVersion.ToNormalizedString(), ["searchPath"] = new JsonArray([.. catalog.SearchPath.Select(p => JsonValue.Create(p))]), ["plugins"] = array }.ToJsonString(Indented));
            return ExitCodes.Success;
        }

        var table = new Table().AddColumns("plugin", "version", "status", "SDK", "description / reason");
        foreach (var e in entries)
        {
            string colour = e.Status switch { PluginStatus.Loaded or PluginStatus.Compatible => "green", PluginStatus.Shadowed => "grey", _ => "red" };
            table.AddRow(Markup.Escape(e.Id), Markup.Escape(e.VersionText), $"[{colour}]{e.Status.ToString().ToLowerInvariant()}[/]",
                Markup.Escape(e.Manifest?.Sdk.ToNormalizedString() ?? ""), Markup.Escape(e.Reason ?? e.Manifest?.Description ?? ""));
        }
        if (!TerminalProgress.Interactive) table.Border(TableBorder.Ascii);
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine($"SDK {PluginCatalog.SdkVersion}; searched {string.Join(Path.PathSeparator, catalog.SearchPath)}");
        return ExitCodes.Success;
    }

    private static int Inspect(ParseResult result, string id, string? taskName, bool asJson)
    {
        using var host = MambaHost.Build(result);
        var catalog = host.Services.GetRequiredService<PluginCatalog>();
        PluginEntry entry;
        try
        {
            entry = catalog.Resolve(PluginReference.Parse(id));
        }
        catch (Exception e) when (e is PluginUnavailableException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            return e is FormatException ? ExitCodes.InvalidJob : ExitCodes.PluginUnavailable;
        }

        var loaded = entry.Loaded!;
        var tasks = loaded.Exports.Where(e => e.Contract == typeof(IJobTask)).ToList();
        if (taskName is not null)
        {
            tasks = [.. tasks.Where(t => t.Name == taskName)];
            if (tasks.Count == 0)
            {
                Console.Error.WriteLine($"{entry.Id} has no task '{taskName}'; its tasks: {string.Join(", ", loaded.Exports.Where(e => e.Contract == typeof(IJobTask)).Select(e => e.Name))}");
                return ExitCodes.InvalidJob;
            }
        }
        var optionTypes = tasks.ToDictionary(t => t, t => ((IJobTask)ActivatorUtilities.CreateInstance(host.Services, t.ImplementationType)).OptionsType);
        if (asJson)
        {
            Console.Out.WriteLine(Document(entry, loaded, tasks, optionTypes).ToJsonString(Indented));
            return ExitCodes.Success;
        }

        // Plain text, one block per option: readable in any terminal width and in a pipe.
        var output = Console.Out;
        output.WriteLine($"{entry.Id} {entry.VersionText} (SDK {entry.Manifest!.Sdk.ToNormalizedString()}): {entry.Manifest.Description}");
        output.WriteLine($"from {entry.Directory}");
        foreach (var export in loaded.Exports.Where(e => e.Contract != typeof(IJobTask)))
            output.WriteLine($"exports {export.Contract.Name} '{export.Name}': {export.Description}");
        foreach (var task in tasks)
        {
            output.WriteLine();
            output.WriteLine($"task {task.Name}: {task.Description}");
            foreach (var row in OptionsReference.Of(optionTypes[task], task.Name!))
            {
                string value = row.Property.GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RequiredAttribute), true).Length > 0 && row.Value is null or ""
                    ? "(required)" : row.Default.Length > 0 ? "= " + row.Default : "(unset)";
                output.WriteLine($"  {row.Key} {value}    {row.Type}{(row.Allowed.Length > 0 ? ": " + row.Allowed : "")}");
                output.WriteLine($"      {row.Description}");
            }
        }
        return ExitCodes.Success;
    }

    private static JsonObject Document(PluginEntry entry, LoadedPlugin loaded, IReadOnlyList<ExportInfo> tasks, Dictionary<ExportInfo, Type> optionTypes)
    {
        var exports = new JsonArray([.. loaded.Exports.Select(e => (JsonNode)new JsonObject
        {
            ["contract"] = e.Contract.Name,
            ["name"] = e.Name,
            ["type"] = e.ImplementationType.FullName,
            ["description"] = e.Description,
            ["metadata"] = Metadata(e.Attribute),
        })]);
        foreach (var kernel in loaded.ScanKernels)
            exports.Add(new JsonObject { ["contract"] = "IScanKernel", ["name"] = kernel.GetCustomAttributes(false).OfType<Mamba.Core.Scan.ScanKernelAttribute>().First().Name, ["type"] = kernel.FullName });
        return new JsonObject
        {
            ["id"] = entry.Id,
            ["version"] = entry.VersionText,
            ["sdk"] = entry.Manifest!.Sdk.ToNormalizedString(),
            ["description"] = entry.Manifest.Description,
            ["directory"] = entry.Directory,
            ["exports"] = exports,
            ["tasks"] = new JsonArray([.. tasks.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name,
                ["description"] = t.Description,
                ["optionsSchema"] = OptionsSchema.Of(optionTypes[t], t.Name!),
            })]),
        };
    }

    private static JsonObject Metadata(MambaExportAttribute attribute)
    {
        var node = new JsonObject();
        foreach (var property in attribute.GetType().GetProperties())
        {
            if (property.Name is nameof(MambaExportAttribute.Name) or nameof(MambaExportAttribute.Description) or nameof(MambaExportAttribute.Contract) or "TypeId") continue;
            node[JsonNamingPolicy.CamelCase.ConvertName(property.Name)] = JsonSerializer.SerializeToNode(property.GetValue(attribute));
        }
        return node;
    }
}
