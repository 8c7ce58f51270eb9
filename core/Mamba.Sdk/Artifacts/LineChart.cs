namespace Mamba.Sdk.Artifacts;

/// <summary>One line of a chart. X values are numbers, or dates as OLE automation dates (see <see cref="OverTime"/>).</summary>
public sealed record LineSeries(string Label, double[] X, double[] Y)
{
    /// <summary>A series over timestamps.</summary>
    public static LineSeries OverTime(string label, IEnumerable<DateTime> time, double[] values) =>
        new(label, time.Select(t => t.ToOADate()).ToArray(), values);
}

/// <summary>A line chart artifact: the plots runs write (history and forecast, loss curves).</summary>
public sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<LineSeries> Series)
{
    /// <summary>True when X values are dates; the axis then shows dates.</summary>
    public bool DateAxis { get; init; }

    /// <summary>Width in pixels.</summary>
    public int Width { get; init; } = 1000;

    /// <summary>Height in pixels.</summary>
    public int Height { get; init; } = 500;

    internal byte[] RenderPng()
    {
        var plot = new ScottPlot.Plot();
        foreach (var series in Series)
        {
            if (series.X.Length != series.Y.Length)
                throw new ArgumentException($"Series '{series.Label}' has {series.X.Length} x values and {series.Y.Length} y values.");
            var line = plot.Add.ScatterLine(series.X, series.Y);
            line.LegendText = series.Label;
        }
        if (DateAxis) plot.Axes.DateTimeTicksBottom();
        plot.Title(Title);
        plot.XLabel(XLabel);
        plot.YLabel(YLabel);
        // Outside the data area, so a legend never hides the lines it names.
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot.GetImageBytes(Width, Height, ScottPlot.ImageFormat.Png);
    }
}
