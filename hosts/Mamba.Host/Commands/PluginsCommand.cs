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
        var inspect = new Command("inspect", "A plugin's manifest, exports and tasks, with each task's option schema as JSON Schema.") { id };
        inspect.SetAction(result => Inspect(result, result.GetValue(id)!));

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

    private static int Inspect(ParseResult result, string id)
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

        var tasks = new JsonArray();
        foreach (var task in loaded.Exports.Where(e => e.Contract == typeof(IJobTask)))
        {
            var instance = (IJobTask)ActivatorUtilities.CreateInstance(host.Services, task.ImplementationType);
            tasks.Add(new JsonObject { ["name"] = task.Name, ["description"] = task.Description, ["optionsSchema"] = OptionsSchema.Of(instance.OptionsType) });
        }
        var document = new JsonObject
        {
            ["id"] = entry.Id,
            ["version"] = entry.VersionText,
            ["sdk"] = entry.Manifest!.Sdk.ToNormalizedString(),
            ["description"] = entry.Manifest.Description,
            ["directory"] = entry.Directory,
            ["exports"] = exports,
            ["tasks"] = tasks,
        };
        Console.Out.WriteLine(document.ToJsonString(Indented));
        return ExitCodes.Success;
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
