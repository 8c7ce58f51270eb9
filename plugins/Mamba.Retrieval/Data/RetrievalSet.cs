namespace Mamba.Retrieval.Data;

/// <summary>A retrievable unit: an id, an optional title and its text.</summary>
public sealed record Passage(string Id, string Title, string Text)
{
    /// <summary>What the encoders read: the title, a line break, the text (or the text alone).</summary>
    public string Content => Title.Length == 0 ? Text : Title + "\n" + Text;
}

/// <summary>A search request: an id and its text.</summary>
public sealed record Query(string Id, string Text);

/// <summary>A relevance judgment: <paramref name="Relevance"/> &gt; 0 marks the passage relevant to the query.</summary>
public sealed record Judgment(string QueryId, string PassageId, int Relevance);

/// <summary>Passages with unique ids, in file order.</summary>
public sealed class Corpus
{
    private readonly Dictionary<string, int> positions;

    /// <summary>Wraps <paramref name="passages"/>; ids must be unique (the readers check and name the rows).</summary>
    public Corpus(string source, IReadOnlyList<Passage> passages)
    {
        ArgumentNullException.ThrowIfNull(passages);
        Source = source;
        Passages = passages;
        positions = new Dictionary<string, int>(passages.Count, StringComparer.Ordinal);
        for (int i = 0; i < passages.Count; i++)
            if (!positions.TryAdd(passages[i].Id, i)) throw new ArgumentException($"{source}: passage id '{passages[i].Id}' occurs twice", nameof(passages));
    }

    /// <summary>Where the passages came from (a file, a folder or a description).</summary>
    public string Source { get; }

    /// <summary>The passages.</summary>
    public IReadOnlyList<Passage> Passages { get; }

    /// <summary>Whether a passage has this id.</summary>
    public bool Contains(string id) => positions.ContainsKey(id);

    /// <summary>The passage with this id.</summary>
    public Passage this[string id] => Passages[positions[id]];
}

/// <summary>A corpus, queries and their judgments: what <c>evaluate</c> scores.</summary>
public sealed record RetrievalSet(string Name, Corpus Corpus, IReadOnlyList<Query> Queries, IReadOnlyList<Judgment> Judgments)
{
    /// <summary>Relevant passage ids (relevance &gt; 0) with their grades, per query id.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, int>> Relevant { get; } = Judgments
        .Where(j => j.Relevance > 0)
        .GroupBy(j => j.QueryId, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.GroupBy(j => j.PassageId, StringComparer.Ordinal).ToDictionary(p => p.Key, p => p.Max(j => j.Relevance), StringComparer.Ordinal), StringComparer.Ordinal);
}
