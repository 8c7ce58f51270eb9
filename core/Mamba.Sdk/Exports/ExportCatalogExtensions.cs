namespace Mamba.Sdk.Exports;

/// <summary>Lookups jobs make by name, format or file extension, with errors that list what exists.</summary>
public static class ExportCatalogExtensions
{
    /// <summary>The export of <typeparamref name="T"/> named <paramref name="name"/>; when several plugins export one, the job's own plugin wins.</summary>
    /// <exception cref="ExportNotFoundException">None matches; the message lists what exists.</exception>
    public static T Get<T>(this IExportCatalog catalog, string name) where T : class
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Get<T>().FirstOrDefault(e => string.Equals(e.Info.Name, name, StringComparison.OrdinalIgnoreCase))?.Value
            ?? throw new ExportNotFoundException($"No {Describe<T>()} named '{name}'. Available: {List(catalog.Get<T>())}.");
    }

    /// <summary>
    /// A reader producing <typeparamref name="TData"/> for <paramref name="path"/>: the one named
    /// <paramref name="format"/> when given, otherwise the one claiming the file's extension.
    /// </summary>
    public static IDatasetReader<TData> ReaderFor<TData>(this IExportCatalog catalog, string path, string? format = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var readers = catalog.Get<IDatasetReader>().Where(e => e.Info.ImplementationType.IsAssignableTo(typeof(IDatasetReader<TData>))).ToList();
        Export<IDatasetReader>? chosen;
        if (format is not null)
        {
            chosen = readers.FirstOrDefault(e => string.Equals(e.Info.Name, format, StringComparison.OrdinalIgnoreCase))
                ?? throw new ExportNotFoundException($"No reader of {typeof(TData).Name} for format '{format}'. Available: {List(readers)}.");
        }
        else
        {
            string extension = Path.GetExtension(path);
            chosen = readers.FirstOrDefault(e => e.Info.Attribute is DatasetReaderAttribute a
                && a.Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
                ?? throw new ExportNotFoundException(
                    $"No reader of {typeof(TData).Name} claims '{extension}' files ({path}); name one with 'format'. Available: {List(readers)}.");
        }
        return (IDatasetReader<TData>)chosen.Value;
    }

    private static string Describe<T>() => typeof(T).Name.TrimStart('I');

    private static string List<T>(IEnumerable<Export<T>> exports) where T : class
    {
        var names = exports.Select(e => $"{e.Info.Name} ({e.Info.PluginId})").ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}

/// <summary>A job asked for an export no loaded plugin provides.</summary>
public sealed class ExportNotFoundException(string message) : Exception(message);
