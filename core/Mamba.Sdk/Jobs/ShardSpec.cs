using System.Globalization;

namespace Mamba.Sdk.Jobs;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: batch jobs split their inputs (files, Parquet row groups) by
/// position, item i going to shard i mod N, and each shard writes its own part files.
/// </summary>
public sealed record ShardSpec
{
    /// <summary>The whole job in one process.</summary>
    public static ShardSpec Whole { get; } = new(0, 1);

    /// <summary>Shard <paramref name="index"/> (from 0) of <paramref name="count"/>.</summary>
    public ShardSpec(int index, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "A job has at least one shard.");
        if (index < 0 || index >= count) throw new ArgumentOutOfRangeException(nameof(index), index, $"Shard index must be in [0, {count}).");
        (Index, Count) = (index, count);
    }

    /// <summary>This shard's position, from 0.</summary>
    public int Index { get; }

    /// <summary>How many shards the job is split into.</summary>
    public int Count { get; }

    /// <summary>True when the job is not split.</summary>
    public bool IsSingle => Count == 1;

    /// <summary>Whether item <paramref name="position"/> of the inputs belongs to this shard.</summary>
    public bool Owns(int position) => position % Count == Index;

    /// <summary>The positions of <paramref name="itemCount"/> inputs that belong to this shard.</summary>
    public IEnumerable<int> Positions(int itemCount) => Enumerable.Range(0, itemCount).Where(Owns);

    /// <summary>
    /// The artifact name this shard writes for <paramref name="fileName"/>: unchanged for a single shard,
    /// <c>predictions.part-0.parquet</c> for shard 0 of several.
    /// </summary>
    public string PartName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        if (IsSingle) return fileName;
        string extension = Path.GetExtension(fileName);
        return string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileNameWithoutExtension(fileName)}.part-{Index}{extension}");
    }

    /// <summary>Parses <c>i/N</c> (0 ≤ i &lt; N).</summary>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || count < 1 || index >= count)
            throw new FormatException($"Expected a shard as i/N with 0 <= i < N (e.g. 0/4), got '{text}'.");
        return new ShardSpec(index, count);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");
}
