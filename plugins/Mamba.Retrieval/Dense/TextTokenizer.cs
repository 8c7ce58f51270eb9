using System.Text;
using Mamba.Sdk.Data;
using Microsoft.ML.Tokenizers;

namespace Mamba.Retrieval.Dense;

/// <summary>
/// Token ids of texts, each followed by the end token whose hidden state is the embedding. By default UTF-8 bytes
/// (ids 0–255, as MambaByte): no vocabulary needed, and Mamba's linear cost keeps long byte sequences affordable.
/// Through Microsoft.ML.Tokenizers a vocabulary can be used instead: a WordPiece <c>vocab.txt</c> a user has, or the
/// bundled GPT-2 byte-level BPE (<see cref="GptBpe"/>, from the Microsoft.ML.Tokenizers.Data.R50kBase package). The
/// end and padding ids follow the vocabulary.
/// </summary>
public sealed class TextTokenizer
{
    /// <summary>The name that selects GPT-2's byte-level BPE (tiktoken's <c>r50k_base</c>, 50,257 tokens) as the vocabulary.</summary>
    public const string GptBpe = "r50k_base";

    private readonly Tokenizer? vocabulary;
    private readonly bool lowercase;

    private TextTokenizer(Tokenizer? vocabulary, long size, bool lowercase)
    {
        this.vocabulary = vocabulary;
        this.lowercase = lowercase;
        End = size;
        Pad = size + 1;
    }

    /// <summary>UTF-8 bytes, case kept.</summary>
    public static TextTokenizer Bytes { get; } = new(null, 256, lowercase: false);

    /// <summary>The end token appended to every text.</summary>
    public long End { get; }

    /// <summary>Padding (after the end token; a causal encoder never sees it before the end token).</summary>
    public long Pad { get; }

    /// <summary>Embedding rows needed: the vocabulary, end, pad.</summary>
    public long VocabularySize => Pad + 1;

    /// <summary>A WordPiece tokenizer over <paramref name="path"/> (one token per line; the line number is the id).</summary>
    public static TextTokenizer FromVocabulary(string path, bool lowercase = false)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "no such vocabulary file");
        long size = File.ReadLines(path).LongCount();
        if (size == 0) throw new DataFormatException(path, "the vocabulary is empty");
        try { return new TextTokenizer(WordPieceTokenizer.Create(path), size, lowercase); }
        catch (Exception error) when (error is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new DataFormatException(path, $"not a WordPiece vocabulary: {error.Message}", inner: error);
        }
    }

    /// <summary>GPT-2's byte-level BPE: every text has a tokenisation (no unknown token), common English words are one token.</summary>
    public static TextTokenizer FromGptBpe(bool lowercase = false)
    {
        var bpe = TiktokenTokenizer.CreateForEncoding(GptBpe);
        // The end-of-text token (50,256) follows the 50,256 merge ranks: it is the highest id.
        long size = 1 + bpe.SpecialTokens!.Values.Max();
        return new TextTokenizer(bpe, size, lowercase);
    }

    /// <summary>
    /// The tokenizer a spec names: bytes, <see cref="GptBpe"/>, or the WordPiece vocabulary at <paramref name="vocabulary"/>; with
    /// <paramref name="lowercase"/> texts are lower-cased first (invariant culture), so "CRUDE" and "crude" share ids —
    /// what a byte-level encoder trained from scratch cannot learn from little data.
    /// </summary>
    public static TextTokenizer For(string? vocabulary, bool lowercase) => vocabulary switch
    {
        null => lowercase ? new TextTokenizer(null, 256, lowercase: true) : Bytes,
        GptBpe => FromGptBpe(lowercase),
        _ => FromVocabulary(vocabulary, lowercase),
    };

    /// <summary>Ids of <paramref name="text"/>: its first <paramref name="maxTokens"/> − 1 tokens, then <see cref="End"/>.</summary>
    public long[] Encode(string text, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        if (lowercase) text = text.ToLowerInvariant();
        IReadOnlyList<int> tokens = vocabulary is null ? [.. Encoding.UTF8.GetBytes(text).Select(b => (int)b)] : vocabulary.EncodeToIds(text);
        int length = Math.Min(tokens.Count, maxTokens - 1);
        var ids = new long[length + 1];
        for (int i = 0; i < length; i++) ids[i] = tokens[i];
        ids[length] = End;
        return ids;
    }
}
