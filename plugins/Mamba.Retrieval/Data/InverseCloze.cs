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
    [GeneratedRegex(@"(?<=[.!?])[""\u201d\u2019)\]]*\s+(?=[""\u201c\u2018(\[]?[A-Z0-9])")]
    private static partial Regex SentenceBreak();

    /// <summary>Sentences of <paramref name="text"/> (after . ! ? and any closing quote, before a capital or a digit).</summary>
    public static string[] Sentences(string text) => [.. SentenceBreak().Split(text.Trim()).Select(s => s.Trim()).Where(s => s.Length > 0)];

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
