namespace Mamba.Core.Training;

/// <summary>
/// Seeds derived from a run's seed and loop indices (epoch, batch, record). <c>HashCode.Combine</c> is randomised per
/// process, so seeding a <see cref="Random"/> with it makes a "seeded" run differ from one process to the next and a
/// resumed run draw other batches than the run it continues; these seeds are a fixed function of their inputs.
/// </summary>
public static class DerivedSeed
{
    /// <summary>A seed that depends on every part and on their order, the same in every process.</summary>
    public static int Of(params ReadOnlySpan<long> parts)
    {
        ulong state = 0x9E3779B97F4A7C15;
        foreach (long part in parts) state = Mix(state ^ unchecked((ulong)part));
        return unchecked((int)(state ^ (state >> 32)));
    }

    // SplitMix64's finaliser: every input bit affects every output bit.
    private static ulong Mix(ulong z)
    {
        z = unchecked(z + 0x9E3779B97F4A7C15);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EB);
        return z ^ (z >> 31);
    }
}
