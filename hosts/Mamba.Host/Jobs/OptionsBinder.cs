using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Mamba.Sdk.Jobs;

namespace Mamba.Host.Jobs;

/// <summary>
/// Binds a job's <c>options</c> to a task's options class, strictly: unknown keys, wrong types, missing required
/// values and values outside their <c>[Range]</c> are errors naming the key path, never silently ignored.
/// </summary>
internal static class OptionsBinder
{
    /// <summary>The JSON settings options classes are bound with (and their schemas exported with).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <exception cref="JobOptionsException">The options do not fit <paramref name="type"/>.</exception>
    public static object Bind(JsonObject options, Type type)
    {
        object? bound;
        try
        {
            bound = options.Deserialize(type, Json);
        }
        catch (JsonException e)
        {
            string path = KeyPath(e.Path);
            throw new JobOptionsException(path, Explain(e, type));
        }
        if (bound is null) throw new JobOptionsException("options", "must be an object");
        Validate(bound, "options");
        return bound;
    }

    /// <summary>
    /// Makes every input path the options name (properties marked <see cref="JobPathAttribute"/>) absolute and checks
    /// that it exists: relative paths are taken from <paramref name="jobDirectory"/>, run references
    /// (<c>run:&lt;job&gt;/latest</c>) from <paramref name="outputRoot"/>. The resolved job a run records then names
    /// exactly the inputs it read, wherever it is run again from.
    /// </summary>
    /// <exception cref="JobOptionsException">A path is missing or of the wrong kind; the key path and the full path are named.</exception>
    public static void ResolvePaths(object options, string jobDirectory, string outputRoot)
    {
        foreach (var (value, path) in Objects(options, "options"))
        {
            foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<JobPathAttribute>() is not { } marked) continue;
                string key = $"{path}.{JsonName(value.GetType(), property.Name)}";
                switch (property.GetValue(value))
                {
                    case string single when single.Length > 0 && property.CanWrite:
                        property.SetValue(value, Resolve(single, marked.Kind, jobDirectory, outputRoot, key));
                        break;
                    case string[] many when property.CanWrite:
                        property.SetValue(value, many.Select((item, i) => Resolve(item, marked.Kind, jobDirectory, outputRoot, $"{key}[{i}]")).ToArray());
                        break;
                    case List<string> many:
                        for (int i = 0; i < many.Count; i++) many[i] = Resolve(many[i], marked.Kind, jobDirectory, outputRoot, $"{key}[{i}]");
                        break;
                    case null or "":
                        break;
                    default:
                        throw new InvalidOperationException($"{key}: [JobPath] marks a {property.PropertyType.Name}; it applies to a settable string, string[] or List<string>");
                }
            }
        }
    }

    /// <summary>The absolute path <paramref name="given"/> names (a run reference resolved), which must exist as <paramref name="kind"/>.</summary>
    private static string Resolve(string given, JobPathKind kind, string jobDirectory, string outputRoot, string keyPath)
    {
        bool reference = given.StartsWith(RunFolder.ReferencePrefix, StringComparison.Ordinal);
        string full = reference ? RunFolder.ResolveReference(outputRoot, given, keyPath) : Path.GetFullPath(given, jobDirectory);
        bool isFile = File.Exists(full), isDirectory = Directory.Exists(full);
        string? problem = kind switch
        {
            JobPathKind.File when isDirectory => $"{full} is a folder; a file is expected",
            JobPathKind.Directory when isFile => $"{full} is a file; a folder is expected",
            _ when !isFile && !isDirectory => $"nothing at {full}" + (Path.IsPathRooted(given) ? "" : $" (relative paths start at the job file's folder, {jobDirectory})"),
            _ => null,
        };
        if (problem is not null) throw new JobOptionsException(keyPath, problem);
        return full;
    }

    /// <summary>The bound options as JSON, defaults included: what the run records as its resolved job.</summary>
    public static JsonNode? ToJson(object options) => JsonSerializer.SerializeToNode(options, options.GetType(), Json);

    private static void Validate(object options, string root)
    {
        foreach (var (value, path) in Objects(options, root))
        {
            var results = new List<ValidationResult>();
            if (Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true)) continue;
            var first = results[0];
            string member = first.MemberNames.FirstOrDefault() is { } name ? $"{path}.{JsonName(value.GetType(), name)}" : path;
            throw new JobOptionsException(member, first.ErrorMessage ?? "invalid");
        }
    }

    /// <summary>The options object and every object nested in it (in properties or lists), each with its key path, parents first.</summary>
    private static IEnumerable<(object Value, string Path)> Objects(object value, string path)
    {
        yield return (value, path);
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || IsLeaf(property.PropertyType)) continue;
            var child = property.GetValue(value);
            string childPath = $"{path}.{JsonName(value.GetType(), property.Name)}";
            if (child is IEnumerable items and not string)
            {
                int i = 0;
                foreach (var item in items)
                {
                    if (item is not null && !IsLeaf(item.GetType()))
                        foreach (var nested in Objects(item, $"{childPath}[{i}]")) yield return nested;
                    i++;
                }
            }
            else if (child is not null)
            {
                foreach (var nested in Objects(child, childPath)) yield return nested;
            }
        }
    }

    internal static bool IsLeaf(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
        || type == typeof(TimeSpan) || Nullable.GetUnderlyingType(type) is not null
        || (type.IsArray && IsLeaf(type.GetElementType()!))
        || (type.IsGenericType && type.GetGenericArguments().All(IsLeaf) && typeof(IEnumerable).IsAssignableFrom(type));

    internal static string JsonName(Type type, string member) =>
        type.GetProperty(member)?.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(member);

    private static string KeyPath(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "options" : "options" + jsonPath.TrimStart('$').Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal);

    private static string Explain(JsonException e, Type type)
    {
        string message = e.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            string known = string.Join(", ", KnownKeys(type, e.Path));
            return $"unknown key; expected one of: {known}";
        }
        if (ExpectedType(type, e.Path) is { } expected)
            return $"expected {expected} ({message})";
        return message;
    }

    private static IEnumerable<string> KnownKeys(Type root, string? jsonPath)
    {
        // The unknown key is the last segment; its siblings are the properties of the parent's type.
        var segments = PathSegments(jsonPath);
        var parent = Walk(root, segments.Take(Math.Max(0, segments.Count - 1)));
        return parent is null ? [] : parent.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => JsonName(parent, p.Name));
    }

    private static string? ExpectedType(Type root, string? jsonPath)
    {
        var type = Walk(root, PathSegments(jsonPath));
        if (type is null) return null;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(string)) return "a string";
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.KebabCaseLower.ConvertName))}";
        if (type.IsArray || (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type))) return "a list";
        return "an object";
    }

    private static List<string> PathSegments(string? jsonPath) =>
        (jsonPath ?? "$").TrimStart('$').Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal)
            .Split(['.', '['], StringSplitOptions.RemoveEmptyEntries).Select(s => s.TrimEnd(']')).ToList();

    private static Type? Walk(Type type, IEnumerable<string> segments)
    {
        Type? current = type;
        foreach (string segment in segments)
        {
            if (current is null) return null;
            if (int.TryParse(segment, out _))
            {
                current = current.IsArray ? current.GetElementType() : current.IsGenericType ? current.GetGenericArguments()[0] : null;
                continue;
            }
            current = current.GetProperties().FirstOrDefault(p => string.Equals(JsonName(current, p.Name), segment, StringComparison.OrdinalIgnoreCase))?.PropertyType;
        }
        return current;
    }
}
