using Mamba.Tracking.Association;

namespace Mamba.Tracking.Tests;

public sealed class LinearAssignmentTests
{
    [Fact]
    public void Square_matrix_gets_the_known_optimum()
    {
        double[,] cost = { { 4, 1, 3 }, { 2, 0, 5 }, { 3, 2, 2 } };

        var pairs = LinearAssignment.Minimise(cost);

        Assert.Equal([(0, 1), (1, 0), (2, 2)], pairs);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(2, 5)]
    [InlineData(5, 2)]
    [InlineData(4, 6)]
    public void Random_matrices_match_exhaustive_search(int rows, int columns)
    {
        var random = new Random(rows * 31 + columns);
        for (int trial = 0; trial < 50; trial++)
        {
            var cost = new double[rows, columns];
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < columns; j++) cost[i, j] = Math.Round(random.NextDouble() * 10, 1);

            var pairs = LinearAssignment.Minimise(cost);

            Assert.Equal(Math.Min(rows, columns), pairs.Length);
            Assert.Equal(pairs.Length, pairs.Select(p => p.Row).Distinct().Count());
            Assert.Equal(pairs.Length, pairs.Select(p => p.Column).Distinct().Count());
            Assert.Equal(BruteForce(cost), pairs.Sum(p => cost[p.Row, p.Column]), 9);
        }
    }

    [Fact]
    public void Empty_and_non_finite_costs()
    {
        Assert.Empty(LinearAssignment.Minimise(new double[0, 4]));
        var error = Assert.Throws<ArgumentException>(() => LinearAssignment.Minimise(new double[,] { { 1, double.NaN } }));
        Assert.Contains("cost[0, 1]", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Minimum over every injective map from the smaller side into the larger.</summary>
    private static double BruteForce(double[,] cost)
    {
        int rows = cost.GetLength(0), columns = cost.GetLength(1);
        bool transposed = rows > columns;
        int n = Math.Min(rows, columns), m = Math.Max(rows, columns);
        double best = double.PositiveInfinity;
        void Search(int i, bool[] used, double sum)
        {
            if (i == n) { best = Math.Min(best, sum); return; }
            for (int j = 0; j < m; j++)
            {
                if (used[j]) continue;
                used[j] = true;
                Search(i + 1, used, sum + (transposed ? cost[j, i] : cost[i, j]));
                used[j] = false;
            }
        }
        Search(0, new bool[m], 0);
        return best;
    }
}
