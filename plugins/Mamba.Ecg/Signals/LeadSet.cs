namespace Mamba.Ecg.Signals;

/// <summary>
/// The reduced lead sets of the 2021 challenge (12, 6, 4, 3, 2 leads) and single-lead recordings. A model always takes
/// 12 lead channels; leads outside the set are zeroed and flagged absent in a mask.
/// </summary>
public sealed record LeadSet(string Name, IReadOnlyList<string> Leads)
{
    /// <summary>The 12 standard leads, in channel order.</summary>
    public static IReadOnlyList<string> Standard { get; } = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"];

    /// <summary>All 12 leads.</summary>
    public static LeadSet Twelve { get; } = new("12", Standard);

    /// <summary>The limb leads.</summary>
    public static LeadSet Six { get; } = new("6", ["I", "II", "III", "aVR", "aVL", "aVF"]);

    /// <summary>I, II, III, V2.</summary>
    public static LeadSet Four { get; } = new("4", ["I", "II", "III", "V2"]);

    /// <summary>I, II, V2.</summary>
    public static LeadSet Three { get; } = new("3", ["I", "II", "V2"]);

    /// <summary>I, II.</summary>
    public static LeadSet Two { get; } = new("2", ["I", "II"]);

    /// <summary>Lead II alone (a Holter's MLII is close to it).</summary>
    public static LeadSet SingleII { get; } = new("1", ["II"]);

    /// <summary>Every set, largest first.</summary>
    public static IReadOnlyList<LeadSet> All { get; } = [Twelve, Six, Four, Three, Two, SingleII];

    /// <summary>The set named <paramref name="name"/> (12, 6, 4, 3, 2 or 1).</summary>
    public static LeadSet Named(string name) => All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"lead set '{name}' is not one of {string.Join(", ", All.Select(s => s.Name))}", nameof(name));

    /// <summary>1 for present leads, 0 for absent, in <see cref="Standard"/> order.</summary>
    public float[] Mask() => [.. Standard.Select(l => Leads.Contains(l) ? 1f : 0f)];

    /// <summary>Channel index of a lead name (case-insensitive; MLII counts as II).</summary>
    public static int ChannelOf(string lead)
    {
        string name = lead.Equals("MLII", StringComparison.OrdinalIgnoreCase) ? "II" : lead;
        int index = Standard.ToList().FindIndex(l => l.Equals(name, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? index : throw new ArgumentException($"'{lead}' is not one of the 12 standard leads", nameof(lead));
    }
}
