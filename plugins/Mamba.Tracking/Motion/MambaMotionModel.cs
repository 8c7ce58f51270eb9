using Mamba.Tracking.Geometry;
using static TorchSharp.torch;

namespace Mamba.Tracking.Motion;

/// <summary>
/// Boxes as motion deltas for <see cref="MotionPredictor"/>: the change of (centre x, centre y, width, height) from one
/// frame to the next divided by a tenth of the newer box's height, so deltas are scale-free and of order one.
/// </summary>
public static class BoxDeltas
{
    /// <summary>Values per delta.</summary>
    public const int Features = 4;

    /// <summary>The normalised delta from <paramref name="from"/> to <paramref name="to"/>, scaled by <paramref name="reference"/>'s height.</summary>
    public static void Write(Box from, Box to, Box reference, Span<float> delta)
    {
        double scale = 0.1 * reference.Height;
        delta[0] = (float)((to.CenterX - from.CenterX) / scale);
        delta[1] = (float)((to.CenterY - from.CenterY) / scale);
        delta[2] = (float)((to.Width - from.Width) / scale);
        delta[3] = (float)((to.Height - from.Height) / scale);
    }

    /// <summary>The box after <paramref name="last"/> moved by a normalised <paramref name="delta"/>.</summary>
    public static Box Apply(Box last, ReadOnlySpan<float> delta)
    {
        double scale = 0.1 * last.Height;
        double width = Math.Max(1, last.Width + delta[2] * scale), height = Math.Max(1, last.Height + delta[3] * scale);
        return Box.FromCenter(last.CenterX + delta[0] * scale, last.CenterY + delta[1] * scale, width, height);
    }

    /// <summary>
    /// The K deltas ending at the newest of <paramref name="boxes"/> (oldest first; missing ones zero) into
    /// <paramref name="window"/> (K · 4 values), normalised by the newest box.
    /// </summary>
    public static void Window(IReadOnlyList<Box> boxes, int history, Span<float> window)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        window.Clear();
        var newest = boxes[^1];
        int available = Math.Min(history, boxes.Count - 1);
        for (int k = 0; k < available; k++)
        {
            int to = boxes.Count - available + k;
            Write(boxes[to - 1], boxes[to], newest, window.Slice((history - available + k) * Features, Features));
        }
    }
}

/// <summary>
/// The Mamba motion model: each track keeps its last K + 1 boxes; a frame's prediction for every track is one batched
/// forward of <see cref="MotionPredictor"/>. A track without an observation appends its own prediction, so a lost
/// track rolls forward autoregressively (what tracklet patching fills gaps with). Cost per frame and track is O(K).
/// </summary>
public sealed class MambaMotionModel(MotionPredictor predictor) : IMotionModel
{
    /// <inheritdoc/>
    public string Name => "mamba";

    /// <inheritdoc/>
    public IMotionState Start(Box box) => new State(box, predictor.Options.History + 1);

    /// <inheritdoc/>
    public void Predict(IReadOnlyList<IMotionState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0) return;
        int k = predictor.Options.History;
        var input = new float[states.Count * k * BoxDeltas.Features];
        for (int i = 0; i < states.Count; i++) BoxDeltas.Window(((State)states[i]).Boxes, k, input.AsSpan(i * k * BoxDeltas.Features, k * BoxDeltas.Features));
        float[] output;
        using (no_grad())
        using (var scope = NewDisposeScope())
        {
            predictor.eval();
            output = predictor.forward(tensor(input).view(states.Count, k, BoxDeltas.Features)).data<float>().ToArray();
        }
        for (int i = 0; i < states.Count; i++) ((State)states[i]).Advance(output.AsSpan(i * BoxDeltas.Features, BoxDeltas.Features));
    }

    private sealed class State(Box first, int capacity) : IMotionState
    {
        private bool pending;

        public List<Box> Boxes { get; } = [first];

        public Box Predicted => Boxes[^1];

        public void Advance(ReadOnlySpan<float> delta)
        {
            Boxes.Add(BoxDeltas.Apply(Boxes[^1], delta));
            if (Boxes.Count > capacity) Boxes.RemoveAt(0);
            pending = true;
        }

        public void Update(Box observed)
        {
            if (pending) Boxes[^1] = observed;
            else Boxes.Add(observed);
            pending = false;
        }
    }
}
