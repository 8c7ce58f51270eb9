using System.Globalization;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using Mamba.Retrieval.Data;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Mamba.Retrieval.Lexical;

/// <summary>A ranked hit: passage id and score (higher is better).</summary>
public readonly record struct Hit(string Id, double Score);

/// <summary>
/// BM25 over a corpus through Lucene.Net: English analysis (lower case, stop words, Porter stemming), one text field
/// with title and text, the query's terms as optional clauses. k1 = 0.9, b = 0.4 by default (the Anserini/BEIR
/// baseline settings). In memory, or in a folder when the index is to be kept.
/// </summary>
public sealed class Bm25Index : IDisposable
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private const string IdField = "id", ContentField = "content";
    private readonly LuceneDirectory directory;
    private readonly Analyzer analyzer = new EnglishAnalyzer(Version);
    private readonly DirectoryReader reader;
    private readonly IndexSearcher searcher;

    private Bm25Index(LuceneDirectory directory, double k1, double b)
    {
        this.directory = directory;
        reader = DirectoryReader.Open(directory);
        searcher = new IndexSearcher(reader) { Similarity = new BM25Similarity((float)k1, (float)b) };
    }

    /// <summary>Passages indexed.</summary>
    public int Count => reader.NumDocs;

    /// <summary>Indexes <paramref name="corpus"/> in memory, or in <paramref name="folder"/> (replacing what is there).</summary>
    public static Bm25Index Build(Corpus corpus, string? folder = null, double k1 = 0.9, double b = 0.4)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        LuceneDirectory directory = folder is null ? new RAMDirectory() : FSDirectory.Open(folder);
        using (var analyzer = new EnglishAnalyzer(Version))
        using (var writer = new IndexWriter(directory, new IndexWriterConfig(Version, analyzer) { OpenMode = OpenMode.CREATE, Similarity = new BM25Similarity((float)k1, (float)b) }))
        {
            foreach (var passage in corpus.Passages)
                writer.AddDocument([new StringField(IdField, passage.Id, Field.Store.YES), new TextField(ContentField, passage.Content, Field.Store.NO)]);
            writer.Commit();
        }
        return new Bm25Index(directory, k1, b);
    }

    /// <summary>Opens an index <see cref="Build"/> wrote to <paramref name="folder"/>.</summary>
    public static Bm25Index Open(string folder, double k1 = 0.9, double b = 0.4) => new(FSDirectory.Open(folder), k1, b);

    /// <summary>The <paramref name="k"/> best passages for <paramref name="text"/> (fewer if fewer contain a query term).</summary>
    public List<Hit> Search(string text, int k)
    {
        var query = new BooleanQuery();
        foreach (string term in Terms(text).Distinct(StringComparer.Ordinal).Take(BooleanQuery.MaxClauseCount))
            query.Add(new TermQuery(new Term(ContentField, term)), Occur.SHOULD);
        if (query.Clauses.Count == 0) return [];
        return [.. searcher.Search(query, k).ScoreDocs.Select(d => new Hit(searcher.Doc(d.Doc).Get(IdField, CultureInfo.InvariantCulture), d.Score))];
    }

    private List<string> Terms(string text)
    {
        var terms = new List<string>();
        using var stream = analyzer.GetTokenStream(ContentField, text);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken()) terms.Add(term.ToString());
        stream.End();
        return terms;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        reader.Dispose();
        analyzer.Dispose();
        directory.Dispose();
    }
}
