namespace Mamba.Ecg.Metrics;

/// <summary>Per-class and macro (NaN-skipping mean over classes) metrics, with the challenge's definitions.</summary>
/// <param name="Macro">Mean over the classes where the metric is defined.</param>
/// <param name="PerClass">One value per class; NaN where undefined (no positives, for example).</param>
public sealed record ClassScores(double Macro, double[] PerClass);

/// <summary>
/// Multilabel metrics as the PhysioNet/CinC Challenge computes them: AUROC as the area under the piecewise-linear
/// curve of specificity against sensitivity over the distinct output values, AUPRC as the area under the
/// piecewise-constant curve of precision against recall, and the F-measure 2TP / (2TP + FP + FN).
/// </summary>
public static class MultilabelMetrics
{
    /// <summary>Macro and per-class AUROC and AUPRC of <paramref name="outputs"/> (probabilities) against <paramref name="labels"/>.</summary>
    public static (ClassScores Auroc, ClassScores Auprc) AreasUnderCurves(IReadOnlyList<bool[]> labels, IReadOnlyList<double[]> outputs)
    {
        int classes = Check(labels, outputs);
        var auroc = new double[classes];
        var auprc = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            var order = Enumerable.Range(0, labels.Count).OrderByDescending(r => outputs[r][k]).ToArray();
            double positives = labels.Count(l => l[k]), negatives = labels.Count - positives;
            double tp = 0, fp = 0;
            double previousTpr = 0, previousTnr = 1;
            // Walk the distinct output values from the highest: each step admits every record at that value.
            for (int i = 0; i < order.Length;)
            {
                double value = outputs[order[i]][k];
                while (i < order.Length && outputs[order[i]][k] == value)
                {
                    if (labels[order[i]][k]) tp++; else fp++;
                    i++;
                }
                double tpr = positives > 0 ? tp / positives : double.NaN;
                double tnr = negatives > 0 ? (negatives - fp) / negatives : double.NaN;
                double ppv = tp / (tp + fp);
                auroc[k] += 0.5 * (tpr - previousTpr) * (tnr + previousTnr);
                auprc[k] += (tpr - previousTpr) * ppv;
                (previousTpr, previousTnr) = (tpr, tnr);
            }
        }
        return (new ClassScores(NanMean(auroc), auroc), new ClassScores(NanMean(auprc), auprc));
    }

    /// <summary>Macro and per-class F-measure of binary <paramref name="outputs"/>.</summary>
    public static ClassScores FMeasure(IReadOnlyList<bool[]> labels, IReadOnlyList<bool[]> outputs)
    {
        int classes = Check(labels, outputs);
        var f = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            double tp = 0, fp = 0, fn = 0;
            for (int r = 0; r < labels.Count; r++)
            {
                if (labels[r][k] && outputs[r][k]) tp++;
                else if (outputs[r][k]) fp++;
                else if (labels[r][k]) fn++;
            }
            f[k] = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : double.NaN;
        }
        return new ClassScores(NanMean(f), f);
    }

    /// <summary>
    /// Per-class thresholds that maximise each class's F-measure on a validation set (candidates: the distinct
    /// outputs); 0.5 for a class with no positives.
    /// </summary>
    public static double[] TuneThresholds(IReadOnlyList<bool[]> labels, IReadOnlyList<double[]> outputs)
    {
        int classes = Check(labels, outputs);
        var thresholds = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            double positives = labels.Count(l => l[k]);
            thresholds[k] = 0.5;
            if (positives == 0) continue;
            var order = Enumerable.Range(0, labels.Count).OrderByDescending(r => outputs[r][k]).ToArray();
            double tp = 0, fp = 0, best = -1;
            for (int i = 0; i < order.Length;)
            {
                double value = outputs[order[i]][k];
                while (i < order.Length && outputs[order[i]][k] == value)
                {
                    if (labels[order[i]][k]) tp++; else fp++;
                    i++;
                }
                double f = 2 * tp / (2 * tp + fp + (positives - tp));
                if (f > best) (best, thresholds[k]) = (f, value);
            }
        }
        return thresholds;
    }

    private static int Check(IReadOnlyList<bool[]> labels, IReadOnlyList<double[]> outputs)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(outputs);
        if (labels.Count != outputs.Count) throw new ArgumentException($"{labels.Count} label rows but {outputs.Count} output rows");
        if (labels.Count == 0) throw new ArgumentException("no records to score");
        for (int r = 0; r < outputs.Count; r++)
        {
            int bad = Array.FindIndex(outputs[r], v => !double.IsFinite(v));
            if (bad >= 0) throw new ArgumentException($"output of record {r}, class {bad} is {outputs[r][bad]}; scores need finite outputs");
        }
        return labels[0].Length;
    }

    private static int Check(IReadOnlyList<bool[]> labels, IReadOnlyList<bool[]> outputs) =>
        Check(labels, [.. outputs.Select(o => o.Select(b => b ? 1.0 : 0.0).ToArray())]);

    private static double NanMean(double[] values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? double.NaN : finite.Average();
    }
}
