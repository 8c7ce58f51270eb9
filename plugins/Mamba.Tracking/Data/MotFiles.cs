using System.Globalization;
using System.Text;
using Mamba.Sdk.Data;
using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Data;

/// <summary>
/// MOTChallenge text files: <c>det.txt</c>, <c>gt.txt</c> and tracker results, one box per line as
/// <c>frame,id,left,top,width,height,conf[,class|x,visibility|y,z]</c> with 1-based frames.
/// </summary>
public static class MotFiles
{
    /// <summary>Reads every box; errors name the file and line.</summary>
    /// <param name="path">The file.</param>
    /// <param name="groundTruth">Read column 8 as the class (gt.txt of MOT17); otherwise it is ignored.</param>
    /// <param name="cancellation">Cancels the read.</param>
    public static async Task<List<MotRow>> ReadAsync(string path, bool groundTruth, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        var rows = new List<MotRow>();
        int line = 0;
        await foreach (string text in File.ReadLinesAsync(path, cancellation))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            rows.Add(Parse(path, line, text, groundTruth));
        }
        return rows;
    }

    /// <summary>Parses one line (public for readers of other containers).</summary>
    public static MotRow Parse(string path, int line, string text, bool groundTruth)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = text.Split(',');
        if (fields.Length < 6) throw new DataFormatException(path, $"{fields.Length} values; a MOTChallenge line has at least 6 (frame,id,left,top,width,height)", line);
        double Field(int index, string name)
        {
            string value = fields[index].Trim();
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && double.IsFinite(parsed)
                ? parsed
                : throw new DataFormatException(path, $"{name} '{value}' is not a finite number", line, name);
        }
        double frame = Field(0, "frame"), id = Field(1, "id");
        if (frame < 1 || frame != Math.Floor(frame)) throw new DataFormatException(path, $"frame {fields[0].Trim()} is not a positive integer (frames are 1-based)", line, "frame");
        if (id != Math.Floor(id)) throw new DataFormatException(path, $"id {fields[1].Trim()} is not an integer", line, "id");
        var box = new Box(Field(2, "left"), Field(3, "top"), Field(4, "width"), Field(5, "height"));
        if (box.Width <= 0 || box.Height <= 0) throw new DataFormatException(path, $"box {box.Width} × {box.Height} has no area", line, "width");
        double confidence = fields.Length > 6 ? Field(6, "conf") : 1;
        int classId = groundTruth && fields.Length > 7 ? (int)Field(7, "class") : -1;
        return new MotRow((int)frame, (int)id, box, confidence, classId);
    }

    /// <summary>Tracker results as MOTChallenge text (x, y, z written as −1), sorted by frame then id.</summary>
    public static string Format(IEnumerable<MotRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        foreach (var r in rows.OrderBy(r => r.Frame).ThenBy(r => r.Id))
            text.Append(CultureInfo.InvariantCulture, $"{r.Frame},{r.Id},{r.Box.Left:0.##},{r.Box.Top:0.##},{r.Box.Width:0.##},{r.Box.Height:0.##},{r.Confidence:0.###},-1,-1,-1\n");
        return text.ToString();
    }
}

/// <summary>A sequence's <c>seqinfo.ini</c>: name, frame rate, length and image size.</summary>
public sealed record SequenceInfo(string Name, double FrameRate, int Length, int ImageWidth, int ImageHeight)
{
    /// <summary>Reads the <c>[Sequence]</c> section; a missing or malformed key is named.</summary>
    public static async Task<SequenceInfo> ReadAsync(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "file not found");
        var values = new Dictionary<string, (string Value, int Line)>(StringComparer.OrdinalIgnoreCase);
        int line = 0;
        bool inSequence = false;
        foreach (string raw in await File.ReadAllLinesAsync(path, cancellation))
        {
            line++;
            string text = raw.Trim();
            if (text.Length == 0 || text[0] is ';' or '#') continue;
            if (text[0] == '[') { inSequence = text.Equals("[Sequence]", StringComparison.OrdinalIgnoreCase); continue; }
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0) throw new DataFormatException(path, $"'{text}' is neither a [section] nor key=value", line);
            if (inSequence) values[text[..equals].Trim()] = (text[(equals + 1)..].Trim(), line);
        }
        string Text(string key) => values.TryGetValue(key, out var v) ? v.Value : throw new DataFormatException(path, $"[Sequence] has no '{key}'", column: key);
        int Integer(string key) => int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new DataFormatException(path, $"'{Text(key)}' is not a positive integer", values[key].Line, key);
        double rate = double.TryParse(Text("frameRate"), NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r > 0
            ? r : throw new DataFormatException(path, $"'{Text("frameRate")}' is not a positive frame rate", values["frameRate"].Line, "frameRate");
        return new SequenceInfo(Text("name"), rate, Integer("seqLength"), Integer("imWidth"), Integer("imHeight"));
    }

    /// <summary>The file's text.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"[Sequence]\nname={Name}\nimDir=img1\nframeRate={FrameRate}\nseqLength={Length}\nimWidth={ImageWidth}\nimHeight={ImageHeight}\nimExt=.jpg\n");
}
