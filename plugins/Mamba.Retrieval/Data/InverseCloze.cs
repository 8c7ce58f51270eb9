using System.Text.RegularExpressions;

namespace Mamba.Retrieval.Data;

/// <summary>One inverse-cloze example: a sentence, and the paragraph it came from with that sentence removed.</summary>
public sealed record ClozePair(string Id, string Sentence, string Context);

/// <summary>
/// Inverse cloze task (Lee et al., 2019): a sentence of a paragraph is the query and the rest of the paragraph is
/// its positive, so a retriever learns from unlabelled text. Paragraphs are split by a group (an address, a document)
/// into training and held-out groups, so no held-out paragraph shares its source with a training one.
/// </summary>
public static partial class InverseCloze
{
    /// <summary>Words that end in a period without ending a sentence when lower-case text follows.</summary>
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "e.g", "i.e", "etc", "vs", "cf", "al", "approx", "ca", "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "fig", "figs", "vol", "pp", "ch", "sec", "eq",
    };

    [GeneratedRegex(@"(?<=[.!?])[""\u201d\u2019)\]]*\s+")]
    private static partial Regex CandidateBreak();

    /// <summary>
    /// Sentences of <paramref name="text"/>: a sentence ends at . ! or ? (and any closing quote) followed by white
    /// space when the next one starts with a capital or a digit. Text without any capital letter (lower-cased
    /// corpora) also breaks before a lower-case word, unless the word before the period is an abbreviation (e.g.,
    /// etc., dr.), a single letter (an initial) or the end of an ellipsis. In cased text a period before a lower-case
    /// word is an abbreviation or a broken line, not a sentence end.
    /// </summary>
    public static string[] Sentences(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        bool cased = trimmed.Any(c => c is >= 'A' and <= 'Z');
        var sentences = new List<string>();
        int start = 0;
        foreach (Match gap in CandidateBreak().Matches(trimmed))
        {
            int next = gap.Index + gap.Length;
            if (next >= trimmed.Length || !EndsSentence(trimmed, gap.Index, next, cased)) continue;
            sentences.Add(trimmed[start..gap.Index]);
            start = next;
        }
        sentences.Add(trimmed[start..]);
        return [.. sentences.Select(s => s.Trim()).Where(s => s.Length > 0)];
    }

    private static bool EndsSentence(string text, int end, int next, bool cased)
    {
        char first = text[next] is '"' or '\u201c' or '\u2018' or '(' or '[' && next + 1 < text.Length ? text[next + 1] : text[next];
        if (first is >= 'A' and <= 'Z' or >= '0' and <= '9') return true;
        if (cased || !char.IsLower(first)) return false;
        int punctuation = end - 1;
        while (punctuation > 0 && text[punctuation] is '"' or '\u201d' or '\u2019' or ')' or ']') punctuation--;
        if (text[punctuation] != '.') return true;
        if (punctuation > 0 && text[punctuation - 1] is '.' or ' ') return false;
        int wordStart = punctuation;
        while (wordStart > 0 && !char.IsWhiteSpace(text[wordStart - 1])) wordStart--;
        string word = text[wordStart..punctuation].TrimStart('(', '[', '"', '\u201c', '\u2018');
        return word.Length > 1 && !Abbreviations.Contains(word);
    }

    /// <summary>How many of <paramref name="paragraphs"/> have the three sentences a pair needs, and the most any has.</summary>
    public static (int Usable, int MostSentences) Usable(IEnumerable<Passage> paragraphs)
    {
        ArgumentNullException.ThrowIfNull(paragraphs);
        var counts = paragraphs.Select(p => Sentences(p.Text).Length).ToList();
        return (counts.Count(c => c >= 3), counts.Count == 0 ? 0 : counts.Max());
    }

    /// <summary>
    /// One pair per paragraph with at least three sentences: a sentence drawn with <paramref name="random"/> as the
    /// query; the context keeps it with probability <paramref name="keepProbability"/> (ICT keeps it 10 % of the
    /// time so the model also learns lexical overlap), else drops it.
    /// </summary>
    public static List<ClozePair> Pairs(IEnumerable<Passage> paragraphs, Random random, double keepProbability)
    {
        ArgumentNullException.ThrowIfNull(paragraphs);
        ArgumentNullException.ThrowIfNull(random);
        var pairs = new List<ClozePair>();
        foreach (var paragraph in paragraphs)
        {
            var sentences = Sentences(paragraph.Text);
            if (sentences.Length < 3) continue;
            int pick = random.Next(sentences.Length);
            bool keep = random.NextDouble() < keepProbability;
            pairs.Add(new ClozePair(paragraph.Id, sentences[pick], string.Join(' ', sentences.Where((_, i) => keep || i != pick))));
        }
        return pairs;
    }

    /// <summary>
    /// The held-out evaluation set: for each paragraph, the query is one sentence (fixed by <paramref name="seed"/>) and
    /// the only relevant passage is that paragraph without it; every other held-out paragraph (also without its query
    /// sentence) is a distractor.
    /// </summary>
    public static RetrievalSet EvaluationSet(string name, IEnumerable<Passage> paragraphs, int seed)
    {
        var pairs = Pairs(paragraphs, new Random(seed), keepProbability: 0);
        var corpus = new Corpus(name, [.. pairs.Select(p => new Passage(p.Id, "", p.Context))]);
        return new RetrievalSet(name, corpus, [.. pairs.Select(p => new Query("q-" + p.Id, p.Sentence))], [.. pairs.Select(p => new Judgment("q-" + p.Id, p.Id, 1))]);
    }
}
