using Mamba.Retrieval.Data;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Data;

namespace Mamba.Retrieval.Tests;

public sealed class DataTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mamba-retrieval-").FullName;

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    private static Task<Corpus> Read(string path) => RetrievalFiles.ReadCorpusAsync(path, new CorpusFields(), CancellationToken.None);

    [Fact]
    public async Task A_jsonl_corpus_reads_ids_titles_and_texts()
    {
        var corpus = await Read(Write("c.jsonl", """{"id": "1", "title": "Oil", "text": "Crude fell."}""", "", """{"id": 2, "text": "No title."}"""));

        Assert.Equal(["1", "2"], corpus.Passages.Select(p => p.Id));
        Assert.Equal("Oil\nCrude fell.", corpus["1"].Content);
        Assert.Equal("No title.", corpus["2"].Content);
    }

    [Fact]
    public async Task A_text_folder_is_a_corpus_with_relative_paths_as_ids()
    {
        Directory.CreateDirectory(Path.Combine(folder, "docs", "sub"));
        File.WriteAllText(Path.Combine(folder, "docs", "a.txt"), "alpha");
        File.WriteAllText(Path.Combine(folder, "docs", "sub", "b.txt"), "beta");

        var corpus = await Read(Path.Combine(folder, "docs"));

        Assert.Equal(["a", "sub/b"], corpus.Passages.Select(p => p.Id));
        Assert.Equal("beta", corpus["sub/b"].Text);
    }

    [Fact]
    public async Task Bad_corpora_are_refused_naming_file_and_row()
    {
        string empty = Write("empty.jsonl", "");
        string duplicate = Write("dup.jsonl", """{"id": "a", "text": "x"}""", """{"id": "b", "text": "y"}""", """{"id": "a", "text": "z"}""");
        string broken = Write("broken.jsonl", """{"id": "a", "text": "x"}""", """{"id": "b", "text": """);
        string untexted = Write("notext.jsonl", """{"id": "a"}""");

        Assert.Contains("no passages", (await Assert.ThrowsAsync<DataFormatException>(() => Read(empty))).Message, StringComparison.Ordinal);
        var dup = await Assert.ThrowsAsync<DataFormatException>(() => Read(duplicate));
        Assert.Contains($"{duplicate}, row 3, column 'id': duplicate passage id 'a' (first at row 1)", dup.Message, StringComparison.Ordinal);
        Assert.Contains($"{broken}, row 2", (await Assert.ThrowsAsync<DataFormatException>(() => Read(broken))).Message, StringComparison.Ordinal);
        Assert.Contains("missing field 'text'", (await Assert.ThrowsAsync<DataFormatException>(() => Read(untexted))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Judgments_naming_unknown_queries_or_passages_are_refused()
    {
        var corpus = await Read(Write("c.jsonl", """{"id": "d1", "text": "x"}"""));
        var queries = RetrievalFiles.ReadQueries(Write("q.tsv", "q1\twhat is x"));

        var trec = RetrievalFiles.ReadJudgments(Write("ok.qrels", "q1 0 d1 1"), queries, corpus);
        var unknownPassage = Assert.Throws<DataFormatException>(() => RetrievalFiles.ReadJudgments(Write("p.qrels", "q1 0 d1 1", "q1 0 d9 1"), queries, corpus));
        var unknownQuery = Assert.Throws<DataFormatException>(() => RetrievalFiles.ReadJudgments(Write("q.jsonl", """{"query": "q7", "passage": "d1"}"""), queries, corpus));

        Assert.Equal(new Judgment("q1", "d1", 1), Assert.Single(trec));
        Assert.Contains("row 2, column 'passage': passage id 'd9' is not in the corpus", unknownPassage.Message, StringComparison.Ordinal);
        Assert.Contains("row 1, column 'query': query id 'q7' is not in the query file", unknownQuery.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_debian_faq_gives_question_queries_answered_by_their_own_sections()
    {
        var set = FaqText.Read(Path.Combine(AppContext.BaseDirectory, "data", "debian-faq.en.txt.gz"), "debian-faq");

        var whatIsDebian = Assert.Single(set.Queries, q => q.Id == "q1.2");
        Assert.Equal("What is Debian GNU/Linux?", whatIsDebian.Text);
        Assert.StartsWith("Debian GNU/Linux is a particular distribution", set.Corpus["1.2"].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("What is Debian GNU/Linux?", set.Corpus["1.2"].Text, StringComparison.Ordinal);
        var wrapped = Assert.Single(set.Queries, q => q.Id == "q3.1.1");
        Assert.EndsWith("What should I do?", wrapped.Text, StringComparison.Ordinal);
        Assert.True(set.Queries.Count > 60, $"{set.Queries.Count} questions");
        Assert.True(set.Corpus.Passages.Count > set.Queries.Count, "sections that are not questions stay as distractors");
        Assert.All(set.Judgments, j => Assert.True(set.Corpus.Contains(j.PassageId)));
    }

    [Fact]
    public void A_truncated_gzip_faq_is_an_error_naming_the_file()
    {
        byte[] whole = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "debian-faq.en.txt.gz"));
        string path = Path.Combine(Directory.CreateTempSubdirectory("faq-").FullName, "cut.txt.gz");
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);

        var error = Assert.Throws<DataFormatException>(() => FaqText.Read(path, "cut"));

        Assert.Equal(path, error.File);
        Assert.Contains("truncated or corrupt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inverse_cloze_removes_the_query_sentence_from_its_paragraph()
    {
        var paragraph = new Passage("p", "", "The first one. The second one! Is this the third? \"Yes,\" the fourth said.");

        var set = InverseCloze.EvaluationSet("ict", [paragraph], seed: 1);

        Assert.Equal(4, InverseCloze.Sentences(paragraph.Text).Length);
        var query = Assert.Single(set.Queries);
        Assert.Contains(query.Text, InverseCloze.Sentences(paragraph.Text));
        Assert.DoesNotContain(query.Text, set.Corpus["p"].Text, StringComparison.Ordinal);
        Assert.Equal(3, InverseCloze.Sentences(set.Corpus["p"].Text).Length);
    }

    [Fact]
    public void Lower_cased_text_splits_into_sentences_except_after_abbreviations_initials_and_ellipses()
    {
        string[] sentences = InverseCloze.Sentences("the pump failed at noon. e.g. the seal gave way... then it leaked! j. smith saw it. was it fixed? yes.");

        Assert.Equal(["the pump failed at noon.", "e.g. the seal gave way... then it leaked!", "j. smith saw it.", "was it fixed?", "yes."], sentences);
    }

    [Fact]
    public void In_cased_text_a_period_before_a_lower_case_word_does_not_end_a_sentence()
    {
        string[] sentences = InverseCloze.Sentences("The Austrian, Belgian, Italian. and Dutch legations burned. Order returned.");

        Assert.Equal(["The Austrian, Belgian, Italian. and Dutch legations burned.", "Order returned."], sentences);
    }

    [Fact]
    public async Task Bm25_ranks_the_passage_sharing_the_rare_terms_first()
    {
        var corpus = await Read(Write("c.jsonl",
            """{"id": "oil", "text": "Crude oil prices fell as refiners cut posted prices."}""",
            """{"id": "bank", "text": "The bank raised its prime lending rate."}""",
            """{"id": "steel", "text": "Steel output rose in the quarter."}"""));
        using var index = Bm25Index.Build(corpus);

        var hits = index.Search("refiners cutting crude prices", 3);

        Assert.Equal("oil", hits[0].Id);
        Assert.Single(hits);                                       // only one passage has any query term after stemming
        Assert.Empty(index.Search("the of and", 3));               // stop words only
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
