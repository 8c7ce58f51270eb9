using Mamba.Core.Scan.Cpu;

namespace Mamba.Core.Tests.Scan;

public sealed class FastExpTests
{
    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(512)]
    public void Exp_is_within_two_ulp_of_the_library_exp_across_the_float_range(int bits)
    {
        var (worst, worstAt) = bits switch
        {
            512 => WorstRelativeError<FloatVector512>(),
            256 => WorstRelativeError<FloatVector256>(),
            _ => WorstRelativeError<FloatVector128>(),
        };

        Assert.True(worst < 2.5e-7, $"{bits}-bit: relative error {worst:E2} at x = {worstAt}");
    }

    [Fact]
    public void Exp_of_very_negative_arguments_decays_to_nothing_instead_of_wrapping()
    {
        Assert.InRange(RowMath.Exp(FloatVector512.Create(-1000f))[0], 0f, 1.2e-38f);
        Assert.InRange(RowMath.Exp(FloatVector256.Create(-1000f))[0], 0f, 1.2e-38f);
        Assert.InRange(RowMath.Exp(FloatVector128.Create(-1000f))[0], 0f, 1.2e-38f);
    }

    private static unsafe (double Worst, float At) WorstRelativeError<TV>() where TV : unmanaged, IFloatVector<TV>
    {
        double worst = 0;
        float worstAt = 0;
        var arguments = stackalloc float[TV.Count];
        for (float x = -87f; x < 88f; x += 0.0137f)
        {
            for (int i = 0; i < TV.Count; i++) arguments[i] = x + i * 1e-4f;
            var fast = RowMath.Exp(TV.Load(arguments));
            for (int i = 0; i < TV.Count; i++)
            {
                double exact = Math.Exp(arguments[i]);
                double error = Math.Abs(fast[i] - exact) / exact;
                if (error > worst) (worst, worstAt) = (error, arguments[i]);
            }
        }
        return (worst, worstAt);
    }
}
