using System.Collections;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>One option of a task as <c>plugins inspect</c> lists it, every field in job-file spelling.</summary>
/// <param name="Key">The dotted key path under <c>options</c> (<c>data.lookback</c>).</param>
/// <param name="Type">What the value is: integer, number, boolean, text, path, choice or a list of them.</param>
/// <param name="Default">The value a job that leaves the key out gets, as JSON; empty when it is unset by default.</param>
/// <param name="Allowed">The values or range accepted, where the options class restricts them.</param>
/// <param name="Description">From the option's <c>[Description]</c>, else its XML doc summary.</param>
/// <param name="Property">The property the row describes.</param>
/// <param name="Value">The default value itself (null when unset).</param>
internal sealed record OptionRow(string Key, string Type, string Default, string Allowed, string Description, PropertyInfo Property, object? Value);

/// <summary>
/// The options a task reads, one row per leaf option: key, type, default, allowed values and description, taken from
/// the options class itself (a fresh instance for the defaults, attributes for the limits, the plugin's XML docs for
/// the descriptions). Sections marked <see cref="UsedByAttribute"/> for other tasks are left out.
/// </summary>
internal static partial class OptionsReference
{
    private static readonly ConcurrentDictionary<Assembly, IReadOnlyDictionary<string, string>> Docs = new();
    private static readonly JsonSerializerOptions Compact = new(OptionsBinder.Json) { WriteIndented = false };

    public static IReadOnlyList<OptionRow> Of(Type optionsType, string task)
    {
        ArgumentNullException.ThrowIfNull(optionsType);
        var rows = new List<OptionRow>();
        Walk(optionsType, Activator.CreateInstance(optionsType), "", task, rows);
        return rows;
    }

    /// <summary>Whether <paramref name="task"/> reads <paramref name="property"/> (no <see cref="UsedByAttribute"/>, or one naming it).</summary>
    public static bool IsReadBy(PropertyInfo property, string task) =>
        property.GetCustomAttribute<UsedByAttribute>() is not { } used || used.Tasks.Contains(task, StringComparer.Ordinal);

    /// <summary>The properties the binder fills, in declaration order (base class first).</summary>
    public static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .OrderBy(p => Depth(p.DeclaringType!)).ThenBy(p => p.MetadataToken);

    /// <summary>A value in job-file spelling (enums as the binder reads them).</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        string text => text,
        _ => JsonSerializer.Serialize(value, value.GetType(), Compact).Trim('"'),
    };

    private static void Walk(Type type, object? instance, string prefix, string task, List<OptionRow> rows)
    {
        foreach (var property in Settable(type))
        {
            if (!IsReadBy(property, task)) continue;
            string key = prefix + OptionsBinder.JsonName(type, property.Name);
            object? value = instance is null ? null : property.GetValue(instance);
            if (OptionsBinder.IsLeaf(property.PropertyType) || IsObjectList(property.PropertyType))
            {
                rows.Add(new OptionRow(key, TypeName(property), Default(value), Allowed(property), Describe(property), property, value));
                continue;
            }
            Walk(property.PropertyType, value ?? Activator.CreateInstance(property.PropertyType), key + ".", task, rows);
        }
    }

    private static bool IsObjectList(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    private static int Depth(Type type)
    {
        int depth = 0;
        for (var t = type.BaseType; t is not null; t = t.BaseType) depth++;
        return depth;
    }

    private static string Default(object? value) => value switch
    {
        null => "",
        string text => text.Length == 0 ? "\"\"" : text,
        _ => Format(value),
    };

    private static string TypeName(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (property.GetCustomAttribute<JobPathAttribute>() is { } path)
            return path.Kind switch { JobPathKind.Directory => "folder", JobPathKind.FileOrDirectory => "file or folder", _ => "file" };
        return Name(type);

        static string Name(Type type)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            if (type == typeof(int) || type == typeof(long)) return "integer";
            if (type == typeof(double) || type == typeof(float)) return "number";
            if (type == typeof(bool)) return "boolean";
            if (type == typeof(string)) return "text";
            if (type.IsEnum) return "choice";
            if (type.IsArray) return "list of " + Name(type.GetElementType()!);
            if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type)) return "list of " + Name(type.GetGenericArguments()[0]);
            return "object";
        }
    }

    private static string Allowed(PropertyInfo property)
    {
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var element = type.IsArray ? type.GetElementType()! : type;
        if (element.IsEnum) return string.Join(", ", Enum.GetValues(element).Cast<object>().Select(Format));
        if (property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed) return string.Join(", ", allowed.Values.Select(v => Format(v)));
        if (property.GetCustomAttribute<RegularExpressionAttribute>() is { } pattern)
            return Choices().Match(pattern.Pattern) is { Success: true } m ? m.Groups[1].Value.Replace("|", ", ", StringComparison.Ordinal) : $"matching {pattern.Pattern}";
        var parts = new List<string>();
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{range.Minimum} to {range.Maximum}"));
        if (property.GetCustomAttribute<MinLengthAttribute>() is { } length) parts.Add($"at least {length.Length} item{(length.Length == 1 ? "" : "s")}");
        return string.Join("; ", parts);
    }

    private static string Describe(PropertyInfo property)
    {
        if (property.GetCustomAttribute<DescriptionAttribute>() is { } description) return description.Description;
        var declaring = property.DeclaringType!;
        var docs = Docs.GetOrAdd(declaring.Assembly, Read);
        return docs.TryGetValue($"P:{declaring.FullName!.Replace('+', '.')}.{property.Name}", out string? summary) ? summary : "";
    }

    /// <summary>The property summaries of an assembly's XML doc file (beside it), as plain text.</summary>
    private static Dictionary<string, string> Read(Assembly assembly)
    {
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.ChangeExtension(assembly.Location, ".xml");
        if (assembly.Location.Length == 0 || !File.Exists(path)) return summaries;
        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (System.Xml.XmlException)
        {
            return summaries;
        }
        foreach (var member in document.Descendants("member"))
        {
            if ((string?)member.Attribute("name") is not { } name || !name.StartsWith("P:", StringComparison.Ordinal) || member.Element("summary") is not { } summary) continue;
            summaries[name] = Spaces().Replace(string.Concat(summary.Nodes().Select(PlainText)), " ").Trim();
        }
        return summaries;
    }

    private static string PlainText(XNode node) => node switch
    {
        XText text => text.Value,
        XElement { Name.LocalName: "see" or "seealso" } see => (string?)see.Attribute("langword")
            ?? ((string?)see.Attribute("cref"))?.Split('.', ':')[^1] ?? ((string?)see.Attribute("href")) ?? see.Value,
        XElement { Name.LocalName: "paramref" or "typeparamref" } reference => (string?)reference.Attribute("name") ?? "",
        XElement element => string.Concat(element.Nodes().Select(PlainText)),
        _ => "",
    };

    [GeneratedRegex(@"^\^\(([^()]+)\)\$$")]
    private static partial Regex Choices();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
