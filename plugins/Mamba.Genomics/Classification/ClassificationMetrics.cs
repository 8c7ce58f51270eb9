namespace Mamba.Genomics.Classification;

/// <summary>Accuracy and the Matthews correlation coefficient (Gorodkin's multi-class form, which is MCC for two classes).</summary>
public static class ClassificationMetrics
{
    /// <summary>Share of <paramref name="predicted"/> equal to <paramref name="actual"/>.</summary>
    public static double Accuracy(IReadOnlyList<int> actual, IReadOnlyList<int> predicted)
    {
        Check(actual, predicted);
        return actual.Count == 0 ? double.NaN : actual.Where((a, i) => a == predicted[i]).Count() / (double)actual.Count;
    }

    /// <summary>
    /// MCC = (c·s − Σ_k p_k t_k) / √((s² − Σ p_k²)(s² − Σ t_k²)), with c correct, s samples, p_k predicted and t_k true
    /// counts of class k; 0 when either side has a single class (the denominator vanishes).
    /// </summary>
    public static double MatthewsCorrelation(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, int classes)
    {
        Check(actual, predicted);
        var truth = new double[classes];
        var guessed = new double[classes];
        double correct = 0, samples = actual.Count;
        for (int i = 0; i < actual.Count; i++)
        {
            truth[actual[i]]++;
            guessed[predicted[i]]++;
            if (actual[i] == predicted[i]) correct++;
        }
        double numerator = correct * samples - truth.Zip(guessed, (t, p) => t * p).Sum();
        double denominator = Math.Sqrt((samples * samples - guessed.Sum(p => p * p)) * (samples * samples - truth.Sum(t => t * t)));
        return denominator == 0 ? 0 : numerator / denominator;
    }

    private static void Check(IReadOnlyList<int> actual, IReadOnlyList<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (actual.Count != predicted.Count) throw new ArgumentException($"{actual.Count} labels but {predicted.Count} predictions");
    }
}
