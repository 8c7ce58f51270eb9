using System.Globalization;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Metrics;

/// <summary>
/// The PhysioNet/CinC Challenge 2021 score. Each record spreads one unit of credit over the union of its true and
/// predicted classes (the "modified confusion matrix" A: A[true, predicted] += 1 / |true ∪ predicted|); the score is
/// Σ W ∘ A with the challenge's reward matrix W, normalised so that always answering sinus rhythm scores 0 and the
/// true labels score 1. Classes are those of <c>weights.csv</c>, equivalent SNOMED CT codes joined with <c>|</c>
/// (for example RBBB ≡ CRBBB).
/// </summary>
public sealed class ChallengeScore
{
    /// <summary>SNOMED CT code of sinus rhythm, the reference "inactive" answer.</summary>
    public const string SinusRhythm = "426783006";

    private readonly Dictionary<string, int> classOfCode;

    private ChallengeScore(IReadOnlyList<string[]> classes, double[,] weights)
    {
        Classes = classes;
        Weights = weights;
        classOfCode = [];
        for (int c = 0; c < classes.Count; c++)
            foreach (string code in classes[c]) classOfCode[code] = c;
        SinusRhythmClass = classOfCode.TryGetValue(SinusRhythm, out int sinus) ? sinus : throw new ArgumentException("the weights have no sinus rhythm class (426783006)");
    }

    /// <summary>The scored classes, each a set of equivalent SNOMED CT codes.</summary>
    public IReadOnlyList<string[]> Classes { get; }

    /// <summary>W[true class, predicted class].</summary>
    public double[,] Weights { get; }

    /// <summary>Index of the sinus rhythm class.</summary>
    public int SinusRhythmClass { get; }

    /// <summary>Reads <c>weights.csv</c>: a header row of classes, then one row per class, symmetric labels.</summary>
    public static ChallengeScore Load(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "weights file not found");
        var rows = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => l.Split(',')).ToList();
        if (rows.Count < 2) throw new DataFormatException(path, "expected a header row and one row per class");
        var classes = rows[0].Skip(1).Select(c => c.Split('|', StringSplitOptions.TrimEntries)).ToList();
        if (rows.Count - 1 != classes.Count) throw new DataFormatException(path, $"{classes.Count} classes in the header but {rows.Count - 1} rows");
        var weights = new double[classes.Count, classes.Count];
        for (int i = 0; i < classes.Count; i++)
        {
            var row = rows[i + 1];
            if (row[0] != string.Join('|', classes[i])) throw new DataFormatException(path, $"row {i + 2} is labelled '{row[0]}' but column {i + 1} is '{string.Join('|', classes[i])}'", i + 2);
            if (row.Length != classes.Count + 1) throw new DataFormatException(path, $"{row.Length - 1} weights for {classes.Count} classes", i + 2);
            for (int j = 0; j < classes.Count; j++)
                if (!double.TryParse(row[j + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i, j]))
                    throw new DataFormatException(path, $"weight '{row[j + 1]}' is not a number", i + 2, string.Join('|', classes[j]));
        }
        return new ChallengeScore(classes, weights);
    }

    /// <summary>The class of a SNOMED CT code, or null when the challenge does not score it.</summary>
    public int? ClassOf(string code) => classOfCode.TryGetValue(code.Trim(), out int c) ? c : null;

    /// <summary>Multi-hot scored classes of a record's codes (unscored codes are ignored).</summary>
    public bool[] Encode(IEnumerable<string> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var hot = new bool[Classes.Count];
        foreach (string code in codes)
            if (ClassOf(code) is { } c) hot[c] = true;
        return hot;
    }

    /// <summary>The normalised challenge score of binary <paramref name="outputs"/> against <paramref name="labels"/> (records × classes).</summary>
    public double Score(IReadOnlyList<bool[]> labels, IReadOnlyList<bool[]> outputs)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(outputs);
        if (labels.Count != outputs.Count) throw new ArgumentException($"{labels.Count} label rows but {outputs.Count} output rows");
        var sinus = labels.Select(_ => Enumerable.Range(0, Classes.Count).Select(c => c == SinusRhythmClass).ToArray()).ToList();
        double observed = Weighted(labels, outputs), correct = Weighted(labels, labels), inactive = Weighted(labels, sinus);
        return correct == inactive ? 0 : (observed - inactive) / (correct - inactive);
    }

    private double Weighted(IReadOnlyList<bool[]> labels, IReadOnlyList<bool[]> outputs)
    {
        double total = 0;
        for (int r = 0; r < labels.Count; r++)
        {
            int union = Enumerable.Range(0, Classes.Count).Count(c => labels[r][c] || outputs[r][c]);
            double share = 1.0 / Math.Max(union, 1);
            for (int i = 0; i < Classes.Count; i++)
            {
                if (!labels[r][i]) continue;
                for (int j = 0; j < Classes.Count; j++)
                    if (outputs[r][j]) total += Weights[i, j] * share;
            }
        }
        return total;
    }
}
