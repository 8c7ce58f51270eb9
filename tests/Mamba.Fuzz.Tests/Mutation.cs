using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Mamba.Fuzz.Tests;

/// <summary>What one edit does to a file's bytes.</summary>
public enum MutationKind
{
    /// <summary>Flip one bit (bit rot, a bad transfer).</summary>
    FlipBit,

    /// <summary>Replace a span with a token that means something to parsers (a delimiter, a quote, NaN, a huge number).</summary>
    Replace,

    /// <summary>Insert such a token.</summary>
    Insert,

    /// <summary>Delete a span.</summary>
    Delete,

    /// <summary>Repeat a span (a line written twice).</summary>
    Duplicate,

    /// <summary>Cut the file short (a copy that did not finish).</summary>
    Truncate,
}

/// <summary>
/// One edit of a valid input: what a bad disk, a careless hand or a hostile user makes of it. Positions are taken
/// modulo the file's length, so one edit applies to any file.
/// </summary>
public sealed record Mutation(MutationKind Kind, int Position, int Length, int Token)
{
    private static readonly byte[][] Tokens =
    [
        .. new[]
        {
            ",", ";", "\t", " ", "\n", "\r\n", "\"", "'", "\0", "-", ".", "e", "9", "0", "-1", "NaN", "Infinity", "1e309",
            "99999999999999999999", "4294967296", "null", "true", "[]", "{}", "[", "}", ":", "=", "é", "\uFEFF", ">", "@", "+",
            "#", "/", "\\", "..", "%", "a,b,c,d,e,f,g,h,i,j,k", "\"\"\"",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF, 0xFE], [0xC3], [0x1F, 0x8B],
    ];

    /// <summary>Edits in proportion to how often they break parsers in practice; spans of 1 to 64 bytes.</summary>
    public static Gen<Mutation> Generator { get; } =
        from kind in Gen.Frequency(
            (3, Gen.Constant(MutationKind.FlipBit)), (4, Gen.Constant(MutationKind.Replace)), (4, Gen.Constant(MutationKind.Insert)),
            (2, Gen.Constant(MutationKind.Delete)), (2, Gen.Constant(MutationKind.Duplicate)), (1, Gen.Constant(MutationKind.Truncate)))
        from position in Gen.Choose(0, int.MaxValue)
        from length in Gen.Choose(1, 64)
        from token in Gen.Choose(0, Tokens.Length - 1)
        select new Mutation(kind, position, length, token);

    /// <summary>Applies the edit to <paramref name="input"/> (not changed) and returns the result.</summary>
    public byte[] Apply(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int at = input.Length == 0 ? 0 : Position % (input.Length + 1);
        int span = Math.Min(Length, input.Length - at);
        byte[] token = Tokens[Token];
        return Kind switch
        {
            MutationKind.FlipBit when input.Length > 0 => Flip(input, Position % input.Length, Length % 8),
            MutationKind.Replace => [.. input[..at], .. token, .. input[(at + span)..]],
            MutationKind.Insert => [.. input[..at], .. token, .. input[at..]],
            MutationKind.Delete => [.. input[..at], .. input[(at + span)..]],
            MutationKind.Duplicate => [.. input[..(at + span)], .. input[at..]],
            MutationKind.Truncate => input[..at],
            _ => input,
        };
    }

    /// <summary>Applies every edit in order.</summary>
    public static byte[] ApplyAll(byte[] input, IEnumerable<Mutation> mutations) => mutations.Aggregate(input, (bytes, m) => m.Apply(bytes));

    public override string ToString() => Kind switch
    {
        MutationKind.FlipBit => $"flip bit {Length % 8} at {Position}",
        MutationKind.Replace or MutationKind.Insert => $"{Kind} at {Position} (len {Length}) token {Encoding.UTF8.GetString(Tokens[Token]).ReplaceLineEndings("\\n")}",
        _ => $"{Kind} at {Position} (len {Length})",
    };

    private static byte[] Flip(byte[] input, int at, int bit)
    {
        byte[] copy = (byte[])input.Clone();
        copy[at] ^= (byte)(1 << bit);
        return copy;
    }
}
