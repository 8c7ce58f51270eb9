using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Data;

/// <summary>
/// One line of a MOTChallenge file (<c>frame,id,left,top,width,height,conf,…</c>): a detection (id −1), a
/// ground-truth box or a tracker output. Frames are 1-based.
/// </summary>
/// <param name="Frame">1-based frame number.</param>
/// <param name="Id">Track or ground-truth identity; −1 for a detection.</param>
/// <param name="Box">The box.</param>
/// <param name="Confidence">Detector score; in ground truth, 0 marks a box not to be evaluated.</param>
/// <param name="Class">Ground truth's class column (1 = the evaluated class), or −1 when absent.</param>
public readonly record struct MotRow(int Frame, int Id, Box Box, double Confidence, int Class = -1);
