using System.Globalization;
using FsCheck;
using FsCheck.Fluent;

namespace Mamba.Fuzz.Tests;

/// <summary>
/// The property every reader keeps: any edit of a valid input gives either a result or the project's documented
/// error for that input (which names the file), never another exception. Runs are seeded, so CI repeats the same
/// cases; <c>MAMBA_FUZZ_RUNS</c> and <c>MAMBA_FUZZ_SEED</c> make the longer run in docs/reliability.md.
/// </summary>
public static class ReaderFuzz
{
    /// <summary>Cases per reader: 500 in CI, more from <c>MAMBA_FUZZ_RUNS</c>.</summary>
    public static int Runs { get; } = int.TryParse(Environment.GetEnvironmentVariable("MAMBA_FUZZ_RUNS"), NumberStyles.None, CultureInfo.InvariantCulture, out int runs) ? runs : 500;

    /// <summary>The generator's seed: fixed for CI, another from <c>MAMBA_FUZZ_SEED</c>.</summary>
    public static ulong Seed { get; } =
        ulong.TryParse(Environment.GetEnvironmentVariable("MAMBA_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) ? seed : 20_261_203;

    private static readonly Arbitrary<Mutation[]> Edits = Arb.From(
        Gen.Choose(1, 4).SelectMany(count => Gen.ArrayOf(Mutation.Generator, count)),
        edits => Enumerable.Range(0, edits.Length).Select(skip => edits.Where((_, i) => i != skip).ToArray()).Where(e => e.Length > 0));

    /// <summary>As <see cref="Check(string, byte[], Action{byte[]}, Type[])"/> for a reader that reads asynchronously.</summary>
    public static void Check(string name, byte[] seed, Func<byte[], Task> read, params Type[] documented)
    {
        ArgumentNullException.ThrowIfNull(read);
        Check(name, seed, bytes => read(bytes).GetAwaiter().GetResult(), documented);
    }

    /// <summary>
    /// Checks <paramref name="read"/> over <see cref="Runs"/> edited copies of <paramref name="seed"/>; exceptions of
    /// the <paramref name="documented"/> types are the reader's answer to bad input, anything else fails the test with
    /// the (shrunk) edits that caused it.
    /// </summary>
    public static void Check(string name, byte[] seed, Action<byte[]> read, params Type[] documented)
    {
        ArgumentNullException.ThrowIfNull(read);
        read(seed);                                                          // the unedited input must be read cleanly
        var property = Prop.ForAll(Edits, edits =>
        {
            try
            {
                read(Mutation.ApplyAll(seed, edits));
            }
            catch (Exception e) when (documented.Any(type => type.IsInstanceOfType(e)))
            {
                // The documented refusal of bad input.
            }
        });
        var config = Config.QuickThrowOnFailure.WithName(name).WithMaxTest(Runs).WithReplay(Microsoft.FSharp.Core.FSharpOption<Replay>.Some(new Replay(new Rnd(Seed), null))).WithQuietOnSuccess(true);
        FsCheck.Check.One(config, property);
    }
}
