using Mamba.Core.Training;

namespace Mamba.Core.Tests.Training;

public sealed class DerivedSeedTests
{
    // Computed outside .NET (a Python transcription of the SplitMix64 mixing), so they pin the function itself:
    // a seeded run must draw the same batches in every process and on every runtime version.
    [Theory]
    [InlineData(new long[] { 0, 1 }, -1108028736)]
    [InlineData(new long[] { 1, 0 }, -308458717)]
    [InlineData(new long[] { 42, 3 }, 1525992467)]
    [InlineData(new long[] { -1, 5 }, -1192396071)]
    public void Seeds_are_a_fixed_function_of_their_parts(long[] parts, int expected)
    {
        Assert.Equal(expected, DerivedSeed.Of(parts));
    }

    [Fact]
    public void Seeds_depend_on_the_order_of_the_parts_and_on_every_part()
    {
        var seeds = new[] { DerivedSeed.Of(1, 2), DerivedSeed.Of(2, 1), DerivedSeed.Of(1, 3), DerivedSeed.Of(1, 2, 0) };

        Assert.Equal(seeds.Length, seeds.Distinct().Count());
    }
}
