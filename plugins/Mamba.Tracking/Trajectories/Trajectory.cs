using System.Globalization;
using Mamba.Sdk.Data;

namespace Mamba.Tracking.Trajectories;

/// <summary>
/// A single object's track of positions in local metric coordinates, one point per time step, cut into segments where
/// the recording has a gap (so no window spans missing time).
/// </summary>
public sealed class Trajectory
{
    private Trajectory(string source, double step, List<(double X, double Y)[]> segments)
    {
        Source = source;
        Step = step;
        Segments = segments;
    }

    /// <summary>The file read.</summary>
    public string Source { get; }

    /// <summary>Seconds between points.</summary>
    public double Step { get; }

    /// <summary>Runs of points at exactly <see cref="Step"/> seconds apart.</summary>
    public IReadOnlyList<(double X, double Y)[]> Segments { get; }

    /// <summary>Points in all segments.</summary>
    public int PointCount => Segments.Sum(s => s.Length);

    /// <summary>
    /// Reads a CSV with a header holding <c>time_utc</c> (ISO 8601), <c>x_m</c> and <c>y_m</c> (metres east and
    /// north); times must increase; points <paramref name="step"/> seconds apart form a segment.
    /// </summary>
    public static async Task<Trajectory> ReadCsvAsync(string path, double step, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        var lines = await File.ReadAllLinesAsync(path, cancellation);
        if (lines.Length < 2) throw new DataFormatException(path, "no points (a header and at least one row are needed)");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        int Column(string name) => header.IndexOf(name) is >= 0 and var i ? i : throw new DataFormatException(path, $"no column '{name}' (columns: {string.Join(", ", header)})", 1);
        int time = Column("time_utc"), x = Column("x_m"), y = Column("y_m");
        var segments = new List<(double, double)[]>();
        var current = new List<(double, double)>();
        DateTimeOffset? previous = null;
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var fields = lines[i].Split(',');
            if (fields.Length < header.Count) throw new DataFormatException(path, $"{fields.Length} values, the header has {header.Count}", i + 1);
            if (!DateTimeOffset.TryParse(fields[time], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                throw new DataFormatException(path, $"'{fields[time]}' is not a time", i + 1, "time_utc");
            double Number(int column, string name) =>
                double.TryParse(fields[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                    ? v : throw new DataFormatException(path, $"'{fields[column]}' is not a finite number", i + 1, name);
            var point = (Number(x, "x_m"), Number(y, "y_m"));
            if (previous is { } before)
            {
                double seconds = (at - before).TotalSeconds;
                if (seconds <= 0) throw new DataFormatException(path, $"time {fields[time]} does not increase", i + 1, "time_utc");
                if (Math.Abs(seconds - step) > 1e-6) { segments.Add([.. current]); current.Clear(); }
            }
            current.Add(point);
            previous = at;
        }
        segments.Add([.. current]);
        return new Trajectory(path, step, segments);
    }

    /// <summary>
    /// Chronological parts: the first <paramref name="train"/> share of the points, the next <paramref name="validation"/>
    /// share and the rest; a segment crossing a boundary is cut there.
    /// </summary>
    public (List<(double X, double Y)[]> Train, List<(double X, double Y)[]> Validation, List<(double X, double Y)[]> Test) Split(double train, double validation)
    {
        int total = PointCount, trainEnd = (int)(train * total), validationEnd = (int)((train + validation) * total);
        var parts = (new List<(double, double)[]>(), new List<(double, double)[]>(), new List<(double, double)[]>());
        int offset = 0;
        foreach (var segment in Segments)
        {
            void Take(List<(double, double)[]> into, int from, int to)
            {
                int a = Math.Max(from - offset, 0), b = Math.Min(to - offset, segment.Length);
                if (b > a) into.Add(segment[a..b]);
            }
            Take(parts.Item1, 0, trainEnd);
            Take(parts.Item2, trainEnd, validationEnd);
            Take(parts.Item3, validationEnd, total);
            offset += segment.Length;
        }
        return parts;
    }
}
