using Mamba.Ecg.Synthetic;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Metrics;

/// <summary>
/// The PhysioNet/CinC Challenge 2021 tables bundled with the plugin (<c>data/challenge2021/</c>): the scored classes
/// with their equivalences and reward matrix (<c>weights.csv</c>), and the abbreviation of each scored SNOMED CT
/// code (<c>dx_mapping_scored.csv</c>).
/// </summary>
public static class ScoredDiagnoses
{
    private static readonly Lazy<ChallengeScore> Challenge = new(() => ChallengeScore.Load(Table("weights.csv")));
    private static readonly Lazy<Dictionary<string, string>> Abbreviations = new(ReadAbbreviations);

    /// <summary>The challenge score over the 2021 scored classes.</summary>
    public static ChallengeScore Score => Challenge.Value;

    /// <summary>
    /// A short name for a model class: a SNOMED CT code or a challenge class of equivalent codes (<c>a|b</c>), named
    /// by its first code's abbreviation (<c>713427006|59118001</c> is CRBBB).
    /// </summary>
    public static string Abbreviation(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        string first = label.Split('|')[0];
        return Abbreviations.Value.TryGetValue(first, out string? name) ? name : EcgCondition.Abbreviation(first);
    }

    /// <summary>The challenge class label (equivalent codes joined with <c>|</c>) of each scored class.</summary>
    public static IReadOnlyList<string> ClassLabels => [.. Score.Classes.Select(c => string.Join('|', c))];

    private static string Table(string name) =>
        Path.Combine(Path.GetDirectoryName(typeof(ScoredDiagnoses).Assembly.Location)!, "data", "challenge2021", name);

    private static Dictionary<string, string> ReadAbbreviations()
    {
        string path = Table("dx_mapping_scored.csv");
        if (!File.Exists(path)) throw new DataFormatException(path, "the plugin's bundled diagnosis table is missing");
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length >= 3 && fields[1].Length > 0) names[fields[1].Trim()] = fields[2].Trim();
        }
        return names;
    }
}
