using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

/// <summary>
/// The bundled retrieval plugin's jobs through the real host at tiny sizes (the quality runs are
/// docs/results/retrieval.md). One tiny encoder, trained once by <see cref="TrainedEncoder"/>, serves every test.
/// </summary>
public sealed class RetrievalJobTests(RetrievalJobTests.TrainedEncoder encoder) : IClassFixture<RetrievalJobTests.TrainedEncoder>
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Retrieval", "jobs");
    private static readonly string[] Tiny = ["--set", "model.dModel=16", "--set", "model.layers=M1", "--set", "model.maxTokens=64", "--set", "training.epochs=1", "--set", "training.pretrainSteps=2"];
    private readonly string root = encoder.Root;
    private readonly string trained = encoder.Folder;

    /// <summary>sotu-train at tiny sizes, run once under <see cref="Root"/>/runs for the whole class.</summary>
    public sealed class TrainedEncoder : IDisposable
    {
        public TrainedEncoder() => Folder = PluginWorkspace.RunJob(Root, Path.Combine(Jobs, "sotu-train.json"), Tiny);

        public string Root { get; } = Directory.CreateTempSubdirectory("mamba-retrieval-").FullName;

        public string Folder { get; }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), [.. Tiny, .. extra]);

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(root, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public async Task A_trained_encoder_evaluates_indexes_and_searches_the_reuters_set()
    {
        var (early, _, earlyErrors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-search.json"), "--out", Path.Combine(root, "no-runs-yet")]);
        Assert.Equal(2, early);
        Assert.Contains("options.search.index: run:reuters-index/latest: job 'reuters-index' has no successful run", earlyErrors, StringComparison.Ordinal);

        // The bundled jobs find the encoder and the index by run:<job>/latest.
        var metrics = PluginWorkspace.ReadJson(Path.Combine(Run("reuters-evaluate.json"), "metrics.json"));
        var lexicalOnly = PluginWorkspace.ReadJson(Path.Combine(Run("reuters-evaluate.json", "--set", "search.denseWeight=0"), "metrics.json"));
        string indexed = Run("reuters-index.json");
        string searched = Run("reuters-search.json", "--set", "search.fusion=convex");
        Assert.Equal(indexed, (string)PluginWorkspace.ReadJson(Path.Combine(searched, "job.json"))["options"]!["search"]!["index"]!);

        var fusion = PluginWorkspace.ReadJson(Path.Combine(trained, "metrics.json"))["fusion"]!;
        var trials = fusion["validationMrr10"]!.AsArray().Select(t => (Method: (string)t!["method"]!, Weight: (double)t["denseWeight"]!, Mrr: (double)t["mrr10"]!)).ToList();
        Assert.Equal(2 * 11, trials.Count);
        foreach (var (method, label) in new[] { ("Rrf", "hybrid (RRF)"), ("Convex", "hybrid (convex)") })
        {
            var sweep = trials.Where(t => t.Method == method).ToList();
            double chosen = (double)fusion[method == "Rrf" ? "rrfDenseWeight" : "convexDenseWeight"]!;
            Assert.Equal(sweep.First(t => t.Mrr == sweep.Max(u => u.Mrr)).Weight, chosen);                // the first best weight of the grid
            Assert.Equal(chosen, (double)metrics["hybrid"]![label]!["denseWeight"]!);                   // evaluate uses it unless told otherwise
            Assert.Contains("validation", (string)metrics["hybrid"]![label]!["weightFrom"]!, StringComparison.Ordinal);
            Assert.Equal((double)lexicalOnly["scores"]!["BM25"]!["mrr10"]!, (double)lexicalOnly["scores"]![label]!["mrr10"]!, 12);
        }
        string better = trials.Where(t => t.Method == "Convex").Max(t => t.Mrr) > trials.Where(t => t.Method == "Rrf").Max(t => t.Mrr) ? "Convex" : "Rrf";    // RRF on a tie
        Assert.Equal(better, (string)fusion["method"]!);
        Assert.Equal(70, (int)metrics["queries"]!);
        foreach (string method in new[] { "BM25", "dense", "hybrid (RRF)", "hybrid (convex)" })
            Assert.InRange((double)metrics["scores"]![method]!["mrr10"]!, 0, 1);
        Assert.True((double)metrics["scores"]!["BM25"]!["mrr10"]! > 0.8, "BM25 finds most Reuters articles from their titles");
        var hits = await ParquetTable.ReadAsync(Path.Combine(searched, "hits.parquet"));
        Assert.Equal(3 * 10, hits[0].Values.Length);                                    // dense, bm25, hybrid × top 10
        Assert.Equal(10, File.ReadAllLines(Path.Combine(searched, "bm25.run")).Length);
    }

    [Fact]
    public void Indexing_again_adds_new_passages_and_refuses_known_ids()
    {
        string first = Write("first.jsonl", """{"id": "a", "text": "Oil prices fell."}""", """{"id": "b", "text": "Banks raised rates."}""");
        string second = Write("second.jsonl", """{"id": "c", "text": "Steel output rose."}""");
        string clash = Write("clash.jsonl", """{"id": "b", "text": "Another b."}""");

        string indexed = Run("reuters-index.json", "--set", $"model.weights={trained}", "--set", $"data.corpus={first}", "--set", "data.textField=text");
        string grown = Run("reuters-index.json", "--set", $"model.weights={trained}", "--set", $"data.corpus={second}", "--set", "data.textField=text", "--set", $"search.index={indexed}");
        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-index.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", $"model.weights={trained}", "--set", $"data.corpus={clash}", "--set", "data.textField=text", "--set", $"search.index={indexed}"]);

        Assert.Equal(3, (int)PluginWorkspace.ReadJson(Path.Combine(grown, "index.json"))["passages"]!);
        Assert.Equal(1, code);
        Assert.Contains("passage id 'b' is already in the index", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Adaptation_trains_on_the_searched_corpus_by_inverse_cloze_even_when_supervised_pairs_are_configured()
    {
        string corpus = Write("corpus.jsonl",
            """{"id": "a", "text": "Oil prices fell today. Producers cut output. Traders expect more cuts."}""",
            """{"id": "b", "text": "Banks raised rates again. Loans became dearer. Borrowers slowed down."}""",
            """{"id": "c", "text": "Steel output rose in May. Mills ran at capacity. Exports grew fast."}""");
        string pairs = Write("pairs.jsonl",
            """{"query": "oil", "positive": "Oil prices fell today."}""",
            """{"query": "banks", "positive": "Banks raised rates again."}""");

        var (code, output, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-index.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", $"model.weights={trained}", "--set", $"data.corpus={corpus}", "--set", "data.textField=text",
            "--set", "training.adaptEpochs=1", "--set", "training.batchSize=3", "--set", $"training.pairs={pairs}"]);

        Assert.True(code == 0, errors);
        Assert.Contains("Training pairs: 3 (inverse cloze", output + errors, StringComparison.Ordinal);
        Assert.DoesNotContain("(supervised)", output + errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_index_adapted_to_its_corpus_keeps_its_own_encoder_and_cannot_be_adapted_again_when_grown()
    {
        string corpus = Write("corpus.jsonl",
            """{"id": "a", "text": "Oil prices fell today. Producers cut output. Traders expect more cuts."}""",
            """{"id": "b", "text": "Banks raised rates again. Loans became dearer. Borrowers slowed down."}""",
            """{"id": "c", "text": "Steel output rose in May. Mills ran at capacity. Exports grew fast."}""");
        string more = Write("more.jsonl", """{"id": "d", "text": "Wheat harvests were large."}""");

        string adapted = Run("reuters-index.json", "--set", $"model.weights={trained}", "--set", $"data.corpus={corpus}", "--set", "data.textField=text",
            "--set", "training.adaptEpochs=2", "--set", "training.batchSize=3");
        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-index.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", $"model.weights={adapted}", "--set", $"data.corpus={more}", "--set", "data.textField=text", "--set", $"search.index={adapted}", "--set", "training.adaptEpochs=1"]);
        var (stale, _, staleErrors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-index.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", $"model.weights={trained}", "--set", $"data.corpus={more}", "--set", "data.textField=text", "--set", $"search.index={adapted}"]);
        string grown = Run("reuters-index.json", "--set", $"model.weights={adapted}", "--set", $"data.corpus={more}", "--set", "data.textField=text", "--set", $"search.index={adapted}");

        Assert.Equal(adapted, (string)PluginWorkspace.ReadJson(Path.Combine(adapted, "index.json"))["model"]!);
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(trained, "models", "encoder", "model.safetensors")), File.ReadAllBytes(Path.Combine(adapted, "models", "encoder", "model.safetensors")));
        Assert.Equal(2, code);
        Assert.Contains("options.training.adaptEpochs", errors, StringComparison.Ordinal);
        Assert.Equal(2, stale);
        Assert.Contains($"was built with the encoder in {adapted}", staleErrors, StringComparison.Ordinal);
        Assert.Equal(adapted, (string)PluginWorkspace.ReadJson(Path.Combine(grown, "index.json"))["model"]!);
        Assert.Equal(4, (int)PluginWorkspace.ReadJson(Path.Combine(grown, "index.json"))["passages"]!);
    }

    [Fact]
    public void A_users_queries_and_trec_judgments_train_the_encoder_and_evaluate_scores_only_held_out_queries()
    {
        // Synthetic: 30 passages of a made-up product manual, one query each, judged in TREC form; passage p29 is also
        // relevant to q00, so the 30 queries give 31 pairs.
        string[] topics = ["battery", "charger", "screen", "speaker", "camera", "cable", "button", "strap", "lens", "fan"];
        string corpus = Write("manual.jsonl", [.. Enumerable.Range(0, 30).Select(i =>
            $$"""{"id": "p{{i:D2}}", "title": "{{topics[i % 10]}} part {{i}}", "text": "the {{topics[i % 10]}} of model {{i}} is replaced in {{i + 2}} steps."}""")]);
        string queries = Write("queries.tsv", [.. Enumerable.Range(0, 30).Select(i => $"q{i:D2}\thow do i replace the {topics[i % 10]} of model {i}")]);
        string qrels = Write("qrels.txt", [.. Enumerable.Range(0, 30).Select(i => $"q{i:D2} 0 p{i:D2} 1"), "q00 0 p29 2"]);
        string[] data = ["--set", "data.format=files", "--set", $"data.corpus={corpus}", "--set", $"data.queries={queries}", "--set", $"data.judgments={qrels}",
            "--set", "training.batchSize=4", "--set", "training.pretrainSteps=0"];

        // Its own run folder: a sotu-train run under the shared one would become run:sotu-train/latest for the other tests.
        string own = Directory.CreateDirectory(Path.Combine(root, "judgments")).FullName;
        string run = PluginWorkspace.RunJob(own, Path.Combine(Jobs, "sotu-train.json"), [.. Tiny, .. data]);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        Assert.Equal("judgments", (string)metrics["trainedFrom"]!);
        Assert.Equal(2, (int)metrics["validationPairs"]!);
        Assert.Equal(29, (int)metrics["pairs"]!);

        var (code, output, errors) = MambaProcess.Run(own, ["run", Path.Combine(Jobs, "sotu-evaluate.json"), "--out", Path.Combine(own, "runs"), .. Tiny, .. data,
            "--set", "model.weights=null", "--set", "data.heldOutEvery=5"]);
        Assert.True(code == 0, errors);
        var scored = JsonNode.Parse(File.ReadAllText(Path.Combine(output.Trim().Split('\n')[^1], "metrics.json")))!;
        Assert.Equal(6, (int)scored["queries"]!);
        Assert.Equal("judgments", (string)scored["trainedFrom"]!);
    }

    [Fact]
    public void Bad_data_files_fail_naming_the_file_and_row()
    {
        string corpus = Write("corpus.jsonl", """{"id": "d1", "text": "x"}""", """{"id": "d1", "text": "y"}""");
        string good = Write("good.jsonl", """{"id": "d1", "text": "x"}""");
        string empty = Write("empty.jsonl");
        string queries = Write("queries.tsv", "q1\tx");
        string qrels = Write("qrels.txt", "q1 0 d404 1");
        // Any existing folder passes the weights path check; the data is read, and refused, before weights are loaded.
        (int, string) Evaluate(string c) { var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "reuters-evaluate.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", "data.format=files", "--set", $"data.corpus={c}", "--set", "data.textField=text", "--set", $"data.queries={queries}", "--set", $"data.judgments={qrels}",
            "--set", $"model.weights={root}"]); return (code, errors); }

        var duplicate = Evaluate(corpus);
        var unknown = Evaluate(good);
        var nothing = Evaluate(empty);

        Assert.Equal(1, duplicate.Item1);
        Assert.Contains($"{corpus}, row 2, column 'id': duplicate passage id 'd1'", duplicate.Item2, StringComparison.Ordinal);
        Assert.Equal(1, unknown.Item1);
        Assert.Contains($"{qrels}, row 1, column 'passage': passage id 'd404' is not in the corpus", unknown.Item2, StringComparison.Ordinal);
        Assert.Equal(1, nothing.Item1);
        Assert.Contains($"{empty}: the corpus has no passages", nothing.Item2, StringComparison.Ordinal);
    }

    [Fact]
    public void The_benchmark_reports_every_encoder_at_every_length()
    {
        string benched = Run("bench.json", "--set", "bench.lengths=[64,128]", "--set", "bench.repeats=1", "--set", "bench.documents=1", "--set", "bench.warmUpSeconds=0");

        var cells = PluginWorkspace.ReadJson(Path.Combine(benched, "metrics.json"))["cells"]!.AsArray();
        Assert.Equal(["Mamba", "Transformer", "attention only"], cells.Select(c => (string)c!["model"]!).Distinct());
        Assert.Equal(6, cells.Count);
        Assert.All(cells, c => Assert.True((double)c!["documentsPerSecond"]! > 0));
    }
}
