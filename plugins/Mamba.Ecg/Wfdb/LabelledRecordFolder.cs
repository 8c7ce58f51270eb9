using Mamba.Sdk.Data;

namespace Mamba.Ecg.Wfdb;

/// <summary>A record of a labelled folder: its header, its name and the SNOMED CT codes of its <c># Dx:</c> line.</summary>
public sealed record LabelledRecord(string HeaderPath, string Name, IReadOnlyList<string> Codes);

/// <summary>The records of each split, and the records left out of all of them.</summary>
/// <param name="Train">Records the model is fitted on.</param>
/// <param name="Validation">Records for early stopping and threshold tuning.</param>
/// <param name="Test">Held-out records.</param>
/// <param name="Unlabelled">Records whose <c>#Dx</c> names no scored class (or that have none).</param>
/// <param name="Unlisted">Records the split file does not name.</param>
public sealed record RecordSplits(IReadOnlyList<LabelledRecord> Train, IReadOnlyList<LabelledRecord> Validation, IReadOnlyList<LabelledRecord> Test, int Unlabelled, int Unlisted);

/// <summary>
/// A folder of labelled WFDB records in the layout of the PhysioNet/CinC 2020 and 2021 challenges: any nesting of
/// subfolders, each record a header (<c>.hea</c>) beside its signal file (<c>.mat</c> or <c>.dat</c>), the labels a
/// comment line <c># Dx: 164889003,59118001</c> of SNOMED CT codes. Record names must be unique across the folder,
/// because splits are made by name.
/// </summary>
public static class LabelledRecordFolder
{
    /// <summary>Every record under <paramref name="folder"/>, by name, headers parsed (signals are not read).</summary>
    /// <exception cref="DataFormatException">No such folder, no header in it, a malformed header or a repeated name.</exception>
    public static IReadOnlyList<LabelledRecord> Find(string folder, CancellationToken cancellation)
    {
        if (!Directory.Exists(folder)) throw new DataFormatException(folder, "folder not found");
        var options = new EnumerationOptions { RecurseSubdirectories = true, MatchCasing = MatchCasing.CaseInsensitive };
        var headers = Directory.EnumerateFiles(folder, "*.hea", options).Order(StringComparer.Ordinal).ToList();
        if (headers.Count == 0) throw new DataFormatException(folder, "no WFDB headers (.hea) in this folder or below it");
        var records = new List<LabelledRecord>(headers.Count);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in headers)
        {
            cancellation.ThrowIfCancellationRequested();
            var header = WfdbHeaderParser.Read(path);
            if (!seen.TryAdd(header.RecordName, path))
                throw new DataFormatException(path, $"record name '{header.RecordName}' is also the name of {seen[header.RecordName]}; names must be unique");
            records.Add(new LabelledRecord(path, header.RecordName, Codes(header)));
        }
        return [.. records.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    /// <summary>The codes of a header's <c>Dx</c> comment (comma-separated), none when it has no such line.</summary>
    public static IReadOnlyList<string> Codes(WfdbHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header.Comment("Dx") is { } dx ? dx.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
    }

    /// <summary>
    /// Splits the labelled records (those <paramref name="isLabelled"/> accepts) by a seeded shuffle of their names:
    /// <paramref name="testFraction"/> to test, <paramref name="validationFraction"/> to validation, the rest to
    /// training. The same folder and seed give the same split on every machine.
    /// </summary>
    public static RecordSplits Split(IReadOnlyList<LabelledRecord> records, Func<LabelledRecord, bool> isLabelled, double validationFraction, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(isLabelled);
        var labelled = records.Where(isLabelled).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(labelled);
        int test = (int)Math.Round(labelled.Length * testFraction), validation = (int)Math.Round(labelled.Length * validationFraction);
        return new RecordSplits(labelled[(test + validation)..], labelled[test..(test + validation)], labelled[..test], records.Count - labelled.Length, 0);
    }

    /// <summary>
    /// Splits by a CSV of <c>record,split</c> lines (an optional header; split one of <c>train</c>,
    /// <c>validation</c>, <c>test</c>). Every listed record must exist; records it does not list are left out.
    /// </summary>
    /// <exception cref="DataFormatException">A line names an unknown record or split, or a record twice.</exception>
    public static RecordSplits Split(IReadOnlyList<LabelledRecord> records, Func<LabelledRecord, bool> isLabelled, string splitFile)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(isLabelled);
        if (!File.Exists(splitFile)) throw new DataFormatException(splitFile, "split file not found");
        var byName = records.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var splits = new Dictionary<string, List<LabelledRecord>> { ["train"] = [], ["validation"] = [], ["test"] = [] };
        var listed = new HashSet<string>(StringComparer.Ordinal);
        int row = 0, unlabelled = 0;
        foreach (string line in File.ReadLines(splitFile))
        {
            row++;
            if (line.Trim().Length == 0 || (row == 1 && line.Trim().Equals("record,split", StringComparison.OrdinalIgnoreCase))) continue;
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length != 2) throw new DataFormatException(splitFile, $"{fields.Length} fields; each line is record,split", row);
            if (!byName.TryGetValue(fields[0], out var record)) throw new DataFormatException(splitFile, $"no record '{fields[0]}' in the records folder", row, "record");
            if (!splits.TryGetValue(fields[1].ToLowerInvariant(), out var split))
                throw new DataFormatException(splitFile, $"'{fields[1]}' is not a split (train, validation or test)", row, "split");
            if (!listed.Add(record.Name)) throw new DataFormatException(splitFile, $"record '{record.Name}' is listed twice", row, "record");
            if (isLabelled(record)) split.Add(record);
            else unlabelled++;
        }
        return new RecordSplits(splits["train"], splits["validation"], splits["test"], unlabelled, records.Count - listed.Count);
    }
}
