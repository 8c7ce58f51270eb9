using System.Globalization;
using System.Text.RegularExpressions;
using Mamba.Genomics.Data;
using Mamba.Genomics.Tokens;
using Mamba.Sdk.Data;

namespace Mamba.Genomics.Classification;

/// <summary>A sequence with its class; <see cref="Group"/> names what must stay in one split with it.</summary>
public sealed record LabelledSequence(string Id, string Group, int[] Tokens, int Label);

/// <summary>Labelled sequences with their class names, and what was dropped to avoid leakage.</summary>
public sealed record LabelledSet(IReadOnlyList<LabelledSequence> Sequences, IReadOnlyList<string> Classes, int DroppedDuplicates);

/// <summary>Train, validation and test sequences; no group (and no identical sequence) is in two of them.</summary>
public sealed record LabelledSplit(LabelledSequence[] Train, LabelledSequence[] Validation, LabelledSequence[] Test, int Groups);

/// <summary>Builds labelled sets from FASTA records and splits them without leakage.</summary>
public static partial class LabelledSequences
{
    /// <summary>Records labelled by a <c>label=CLASS</c> token in their description; each record is its own group.</summary>
    public static LabelledSet FromLabelledFasta(IReadOnlyList<SequenceRecord> records, string source)
    {
        ArgumentNullException.ThrowIfNull(records);
        var labels = records.Select(r => (Record: r, Label: LabelPattern().Match(r.Description))).ToList();
        if (labels.FirstOrDefault(l => !l.Label.Success) is { Record: { } unlabelled })
            throw new DataFormatException(source, $"record '{unlabelled.Id}' has no label=CLASS in its description");
        var classes = labels.Select(l => l.Label.Groups[1].Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (classes.Count < 2) throw new DataFormatException(source, $"classification needs at least two classes; every record is '{classes[0]}'");
        return new LabelledSet([.. labels.Select(l => new LabelledSequence(l.Record.Id, l.Record.Id, NucleotideTokenizer.Encode(l.Record.Bases), classes.IndexOf(l.Label.Groups[1].Value)))], classes, 0);
    }

    /// <summary>
    /// Promoter-proximal against distal windows of upstream regions (UCSC <c>upstreamN</c> records, headers like
    /// <c>NM_078863_up_2000_chr2L_16764737_f chr2L:16764737-16766736</c>): the last <paramref name="window"/> bases
    /// (just before the TSS) are class <c>promoter</c>, the first <paramref name="window"/> bases class <c>distal</c>.
    /// Records with the same coordinates (alternative transcripts of one gene) are kept once; records whose
    /// coordinates overlap form one group, so no sequence is shared across splits.
    /// </summary>
    public static LabelledSet FromPromoterWindows(IReadOnlyList<SequenceRecord> records, int window, string source)
    {
        ArgumentNullException.ThrowIfNull(records);
        var located = new List<(SequenceRecord Record, string Chromosome, long Start, long End)>();
        var seen = new HashSet<(string, long, long)>();
        int duplicates = 0;
        foreach (var record in records)
        {
            var match = CoordinatePattern().Match(record.Description);
            if (!match.Success) throw new DataFormatException(source, $"record '{record.Id}': no coordinates (chrom:start-end) in its description '{record.Description}'");
            long start = long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), end = long.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture);
            if (record.Bases.Length < 2 * window)
                throw new DataFormatException(source, $"record '{record.Id}' has {record.Bases.Length} bases, fewer than two windows of {window}");
            if (!seen.Add((match.Groups[1].Value, start, end))) { duplicates++; continue; }
            located.Add((record, match.Groups[1].Value, start, end));
        }

        // Overlapping intervals on a chromosome (either strand) share a group: sweep in start order.
        var groups = new string[located.Count];
        foreach (var chromosome in located.Select((l, i) => (l, i)).GroupBy(x => x.l.Chromosome, StringComparer.Ordinal))
        {
            long reach = long.MinValue;
            string group = "";
            foreach (var (l, i) in chromosome.OrderBy(x => x.l.Start))
            {
                if (l.Start > reach) group = FormattableString.Invariant($"{l.Chromosome}:{l.Start}");
                reach = Math.Max(reach, l.End);
                groups[i] = group;
            }
        }
        var sequences = new List<LabelledSequence>();
        for (int i = 0; i < located.Count; i++)
        {
            var tokens = NucleotideTokenizer.Encode(located[i].Record.Bases);
            sequences.Add(new LabelledSequence(located[i].Record.Id + "/distal", groups[i], tokens[..window], 0));
            sequences.Add(new LabelledSequence(located[i].Record.Id + "/promoter", groups[i], tokens[^window..], 1));
        }
        return new LabelledSet(sequences, ["distal", "promoter"], duplicates);
    }

    /// <summary>
    /// Random split of whole groups (seeded); identical sequences are merged into one group first, so an exact copy
    /// never sits on both sides.
    /// </summary>
    public static LabelledSplit Split(LabelledSet set, double train, double validation, int seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        string Find(string g)
        {
            while (parent[g] != g) g = parent[g] = parent[parent[g]];
            return g;
        }
        foreach (var s in set.Sequences) parent.TryAdd(s.Group, s.Group);
        foreach (var same in set.Sequences.GroupBy(s => string.Concat(s.Tokens.Select(t => (char)('0' + t)))))
        {
            string root = Find(same.First().Group);
            foreach (var s in same.Skip(1)) parent[Find(s.Group)] = root;
        }
        var byGroup = set.Sequences.GroupBy(s => Find(s.Group)).ToList();
        var random = new Random(seed);
        var order = byGroup.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (Group: g, Key: random.Next())).OrderBy(g => g.Key).Select(g => g.Group).ToList();
        int trainGroups = (int)Math.Round(order.Count * train), validationGroups = (int)Math.Round(order.Count * validation);
        return new LabelledSplit(
            [.. order.Take(trainGroups).SelectMany(g => g)],
            [.. order.Skip(trainGroups).Take(validationGroups).SelectMany(g => g)],
            [.. order.Skip(trainGroups + validationGroups).SelectMany(g => g)],
            order.Count);
    }

    [GeneratedRegex(@"(?:^|\s)label=(\S+)")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"(\S+):(\d+)-(\d+)")]
    private static partial Regex CoordinatePattern();
}
