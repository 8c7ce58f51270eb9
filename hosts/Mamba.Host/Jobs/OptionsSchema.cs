using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Mamba.Host.Jobs;

/// <summary>
/// The options a task reads as JSON Schema (draft 2020-12): descriptions, defaults and ranges from the options
/// class (<see cref="OptionsReference"/>), sections other tasks read left out, numbers as plain numbers.
/// </summary>
internal static class OptionsSchema
{
    private const string Excluded = "$excluded";

    public static JsonNode Of(Type optionsType, string task)
    {
        var rows = OptionsReference.Of(optionsType, task).ToDictionary(r => r.Key, StringComparer.Ordinal);
        var schema = OptionsBinder.Json.GetJsonSchemaAsNode(optionsType, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) =>
            {
                if (schema is not JsonObject node) return schema;
                if (context.PropertyInfo?.AttributeProvider is System.Reflection.PropertyInfo property && !OptionsReference.IsReadBy(property, task))
                    return new JsonObject { [Excluded] = true };
                PlainNumber(node);
                if (!rows.TryGetValue(KeyOf(context.Path), out var row)) return node;
                if (row.Description.Length > 0) node.Insert(0, "description", row.Description);
                if (row.Value is { } value)
                    node["default"] = System.Text.Json.JsonSerializer.SerializeToNode(value, value.GetType(), OptionsBinder.Json);
                if (row.Property.GetCustomAttributes(typeof(RangeAttribute), inherit: false).FirstOrDefault() is RangeAttribute range)
                {
                    node["minimum"] = JsonValue.Create(Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture));
                    node["maximum"] = JsonValue.Create(Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
                }
                return node;
            },
        });
        Prune(schema);
        return schema;
    }

    /// <summary>The key path (<c>data.lookback</c>) of a schema location (<c>properties/data/properties/lookback</c>).</summary>
    private static string KeyOf(ReadOnlySpan<string> path)
    {
        var keys = new List<string>();
        for (int i = 0; i + 1 < path.Length; i++)
            if (path[i] == "properties") keys.Add(path[++i]);
        return string.Join('.', keys);
    }

    /// <summary>
    /// The binder reads <c>NaN</c> and <c>Infinity</c> as numbers, so the exporter offers them beside every number;
    /// no option accepts them, so the schema says "number" alone.
    /// </summary>
    private static void PlainNumber(JsonObject node)
    {
        if (node["anyOf"] is not JsonArray choices || !choices.Any(c => c?["type"]?.ToString() == "number")) return;
        bool nullable = choices.Any(c => c?["type"]?.ToString() == "null");
        node.Remove("anyOf");
        node["type"] = nullable ? new JsonArray("number", "null") : "number";
    }

    private static void Prune(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            if (obj["properties"] is JsonObject properties)
                foreach (var name in properties.Where(p => p.Value is JsonObject o && o.ContainsKey(Excluded)).Select(p => p.Key).ToList())
                    properties.Remove(name);
            foreach (var child in obj.Select(p => p.Value).ToList()) Prune(child);
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array) Prune(child);
        }
    }
}
