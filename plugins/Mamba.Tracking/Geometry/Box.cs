namespace Mamba.Tracking.Geometry;

/// <summary>An axis-aligned box in MOTChallenge form: left, top, width, height (pixels).</summary>
public readonly record struct Box(double Left, double Top, double Width, double Height)
{
    /// <summary>Horizontal centre.</summary>
    public double CenterX => Left + Width / 2;

    /// <summary>Vertical centre.</summary>
    public double CenterY => Top + Height / 2;

    /// <summary>Width / height, the aspect ratio ByteTrack's Kalman state carries.</summary>
    public double Aspect => Width / Height;

    /// <summary>The box with centre (<paramref name="x"/>, <paramref name="y"/>) and the given size.</summary>
    public static Box FromCenter(double x, double y, double width, double height) => new(x - width / 2, y - height / 2, width, height);

    /// <summary>Intersection over union; 0 for disjoint or degenerate boxes.</summary>
    public double Iou(Box other)
    {
        double w = Math.Min(Left + Width, other.Left + other.Width) - Math.Max(Left, other.Left);
        double h = Math.Min(Top + Height, other.Top + other.Height) - Math.Max(Top, other.Top);
        if (w <= 0 || h <= 0) return 0;
        double intersection = w * h;
        double union = Width * Height + other.Width * other.Height - intersection;
        return union > 0 ? intersection / union : 0;
    }
}
