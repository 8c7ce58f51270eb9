using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Motion;

/// <summary>
/// Predicts where tracked objects will be in the next frame. The tracker keeps one <see cref="IMotionState"/> per
/// track and asks for every track's prediction at once, so a learned model runs one batched forward per frame.
/// </summary>
public interface IMotionModel
{
    /// <summary>Name in logs and result tables.</summary>
    string Name { get; }

    /// <summary>The state of a new track first seen at <paramref name="box"/>.</summary>
    IMotionState Start(Box box);

    /// <summary>Advances every state one frame: afterwards each <see cref="IMotionState.Predicted"/> is its box in the new frame.</summary>
    void Predict(IReadOnlyList<IMotionState> states);
}

/// <summary>One track's motion state.</summary>
public interface IMotionState
{
    /// <summary>The box predicted for the current frame (the last observation before the first prediction).</summary>
    Box Predicted { get; }

    /// <summary>Corrects the state with the box observed in the current frame.</summary>
    void Update(Box observed);
}
