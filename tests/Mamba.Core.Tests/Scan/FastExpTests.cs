using System.Runtime.Intrinsics;
using Mamba.Core.Scan.Cpu;

namespace Mamba.Core.Tests.Scan;

public sealed class FastExpTests
{
    [Fact]
    public void Exp_is_within_two_ulp_of_the_library_exp_across_the_float_range()
    {
        double worst = 0;
        float worstAt = 0;
        for (float x = -87f; x < 88f; x += 0.0137f)
        {
            var lanes = Vector512.Create(x) + Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * 1e-4f;
            var fast = RowMath.Exp(lanes);
            for (int i = 0; i < 16; i++)
            {
                double exact = Math.Exp(lanes[i]);
                double error = Math.Abs(fast[i] - exact) / exact;
                if (error > worst) (worst, worstAt) = (error, lanes[i]);
            }
        }
        Assert.True(worst < 2.5e-7, $"relative error {worst:E2} at x = {worstAt}");
    }

    [Fact]
    public void Exp_of_very_negative_arguments_decays_to_nothing_instead_of_wrapping()
    {
        var result = RowMath.Exp(Vector512.Create(-1000f));

        Assert.InRange(result[0], 0f, 1.2e-38f);
    }
}
