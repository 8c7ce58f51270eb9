namespace Mamba.Sdk.Jobs;

/// <summary>
/// An option's value cannot work (out of range, inconsistent with another, not fitting the data). The host reports
/// it as an invalid job (exit code 2), naming <see cref="KeyPath"/>.
/// </summary>
public sealed class JobOptionsException(string keyPath, string message) : Exception($"{keyPath}: {message}")
{
    /// <summary>The option's path in the job file, e.g. <c>options.data.horizons[1]</c>.</summary>
    public string KeyPath { get; } = keyPath;
}
