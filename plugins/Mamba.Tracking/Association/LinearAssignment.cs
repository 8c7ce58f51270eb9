namespace Mamba.Tracking.Association;

/// <summary>
/// Optimal assignment (the Hungarian method, in the shortest-augmenting-path form of Jonker and Volgenant) for a
/// rectangular cost matrix: every row of the smaller side is matched once, minimising the summed cost.
/// </summary>
public static class LinearAssignment
{
    /// <summary>Pairs (row, column) of a minimum-cost matching of size min(rows, columns), sorted by row.</summary>
    public static (int Row, int Column)[] Minimise(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        if (rows == 0 || columns == 0) return [];
        bool transposed = rows > columns;
        int n = transposed ? columns : rows, m = transposed ? rows : columns;   // n ≤ m: every one of the n is matched
        double At(int i, int j) => transposed ? cost[j, i] : cost[i, j];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                if (!double.IsFinite(cost[i, j])) throw new ArgumentException($"cost[{i}, {j}] is {cost[i, j]}; costs must be finite", nameof(cost));

        // Potentials u (n + 1), v (m + 1) and the matching owner[j] (1-based; 0 = the virtual start column).
        var u = new double[n + 1];
        var v = new double[m + 1];
        var owner = new int[m + 1];
        var way = new int[m + 1];
        for (int i = 1; i <= n; i++)
        {
            owner[0] = i;
            int free = 0;
            var minimum = new double[m + 1];
            var used = new bool[m + 1];
            Array.Fill(minimum, double.PositiveInfinity);
            do
            {
                used[free] = true;
                int row = owner[free], next = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    double reduced = At(row - 1, j - 1) - u[row] - v[j];
                    if (reduced < minimum[j]) { minimum[j] = reduced; way[j] = free; }
                    if (minimum[j] < delta) { delta = minimum[j]; next = j; }
                }
                for (int j = 0; j <= m; j++)
                {
                    if (used[j]) { u[owner[j]] += delta; v[j] -= delta; }
                    else minimum[j] -= delta;
                }
                free = next;
            }
            while (owner[free] != 0);
            do
            {
                int previous = way[free];
                owner[free] = owner[previous];
                free = previous;
            }
            while (free != 0);
        }

        var pairs = new List<(int, int)>(n);
        for (int j = 1; j <= m; j++)
            if (owner[j] != 0) pairs.Add(transposed ? (j - 1, owner[j] - 1) : (owner[j] - 1, j - 1));
        return [.. pairs.OrderBy(p => p.Item1)];
    }

    /// <summary>A maximum-total-score matching (scores negated).</summary>
    public static (int Row, int Column)[] Maximise(double[,] score)
    {
        ArgumentNullException.ThrowIfNull(score);
        var cost = new double[score.GetLength(0), score.GetLength(1)];
        for (int i = 0; i < cost.GetLength(0); i++)
            for (int j = 0; j < cost.GetLength(1); j++) cost[i, j] = -score[i, j];
        return Minimise(cost);
    }
}
