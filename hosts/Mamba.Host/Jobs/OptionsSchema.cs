using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Mamba.Host.Jobs;

/// <summary>A task's options class as JSON Schema (draft 2020-12), with descriptions and ranges from its attributes.</summary>
internal static class OptionsSchema
{
    public static JsonNode Of(Type optionsType) =>
        OptionsBinder.Json.GetJsonSchemaAsNode(optionsType, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, schema) =>
            {
                if (schema is not JsonObject node) return schema;
                var provider = context.PropertyInfo?.AttributeProvider ?? context.TypeInfo.Type;
                if (provider.GetCustomAttributes(typeof(DescriptionAttribute), inherit: false).FirstOrDefault() is DescriptionAttribute description)
                    node.Insert(0, "description", description.Description);
                if (provider.GetCustomAttributes(typeof(RangeAttribute), inherit: false).FirstOrDefault() is RangeAttribute range)
                {
                    node["minimum"] = JsonValue.Create(Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture));
                    node["maximum"] = JsonValue.Create(Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture));
                }
                return node;
            },
        });
}
