namespace Mamba.Genomics.Tokens;

/// <summary>
/// Single-nucleotide tokens: special tokens first (pad 0, mask 1, bos 2, eos 3, unknown 4 = N), then A 5, C 6, G 7,
/// T 8. Reverse complement works on token ids: the order reverses, A ↔ T and C ↔ G swap, the rest stay.
/// </summary>
public static class NucleotideTokenizer
{
    /// <summary>Padding.</summary>
    public const int Pad = 0;

    /// <summary>Masked position (masked-LM pretraining).</summary>
    public const int Mask = 1;

    /// <summary>Start of sequence.</summary>
    public const int Bos = 2;

    /// <summary>End of sequence.</summary>
    public const int Eos = 3;

    /// <summary>Unknown base (N).</summary>
    public const int Unknown = 4;

    /// <summary>Adenine; C, G and T follow.</summary>
    public const int A = 5;

    /// <summary>Vocabulary size.</summary>
    public const int VocabularySize = 9;

    private const string Letters = "ACGT";

    /// <summary>Token id of each base of <paramref name="bases"/> (upper-case A, C, G, T; anything else is unknown).</summary>
    public static int[] Encode(ReadOnlySpan<char> bases)
    {
        var tokens = new int[bases.Length];
        for (int i = 0; i < bases.Length; i++)
        {
            int letter = Letters.IndexOf(bases[i], StringComparison.Ordinal);
            tokens[i] = letter < 0 ? Unknown : A + letter;
        }
        return tokens;
    }

    /// <summary>Bases of nucleotide tokens (N for unknown); special tokens are skipped.</summary>
    public static string Decode(ReadOnlySpan<int> tokens)
    {
        var text = new System.Text.StringBuilder(tokens.Length);
        foreach (int token in tokens)
        {
            if (token >= A && token < A + 4) text.Append(Letters[token - A]);
            else if (token == Unknown) text.Append('N');
        }
        return text.ToString();
    }

    /// <summary>The complement of one token: A ↔ T, C ↔ G; every other token maps to itself.</summary>
    public static int Complement(int token) => token >= A && token < A + 4 ? A + 3 - (token - A) : token;

    /// <summary>The reverse complement of a token sequence.</summary>
    public static int[] ReverseComplement(ReadOnlySpan<int> tokens)
    {
        var result = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[tokens.Length - 1 - i] = Complement(tokens[i]);
        return result;
    }
}
