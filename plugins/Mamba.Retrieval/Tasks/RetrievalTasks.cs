using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Mamba.Retrieval.Data;
using Mamba.Retrieval.Dense;
using Mamba.Retrieval.Evaluation;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Artifacts;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Tasks;

/// <summary>
/// Trains the dense encoder (on the data's judgments, supervised pairs, or inverse cloze on its paragraphs; see
/// <c>training.from</c>) and saves it under <c>model/</c> with the hybrid search (fusion method and dense weights)
/// chosen on its held-out validation queries.
/// </summary>
[JobTask("train", Description = "Train the Mamba bi-encoder contrastively (the data's judgments, supervised pairs or inverse cloze)")]
public sealed class TrainTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, RetrievalJobOptions options) => RetrievalPipeline.SignalOf(options);

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var (set, training) = await RetrievalPipeline.LoadAsync(context, options, cancellation);
        var clock = Stopwatch.StartNew();
        var supervised = RetrievalPipeline.Supervision(context, options, set);
        var (trained, trials) = RetrievalPipeline.Train(context, options, training, supervised, cancellation);
        using var _ = trained;
        RetrievalPipeline.Save(context, trained, options);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            trainingSeconds = clock.Elapsed.TotalSeconds,
            trainedFrom = JsonNamingPolicy.KebabCaseLower.ConvertName(RetrievalPipeline.SignalOf(options).ToString()),
            paragraphs = training.Count,
            pairs = supervised is null ? (int?)null : supervised.Training.Count,
            validationPairs = supervised?.Validation.Count,
            fusion = new
            {
                method = trained.Fusion!.Method.ToString(),
                rrfDenseWeight = trained.Fusion.RrfWeight,
                convexDenseWeight = trained.Fusion.ConvexWeight,
                validationMrr10 = trials.Select(t => new { method = t.Method.ToString(), t.DenseWeight, t.Mrr10 }),
            },
        }, cancellation);
    }
}

/// <summary>
/// BM25, the dense encoder and their fusion (reciprocal-rank and convex, each at its weight) on the data's queries:
/// <c>metrics.json</c> and <c>results.md</c>. Without <c>model.weights</c> it trains an encoder first; trained on
/// the data's own judgments, it scores only the queries held out of that training (every <c>data.heldOutEvery</c>-th).
/// </summary>
[JobTask("evaluate", Description = "Dense vs BM25 vs hybrid: MRR@10, nDCG@10, Recall@1/10/100")]
public sealed class EvaluateTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, RetrievalJobOptions options)
    {
        if (options.Model.Weights is null) RetrievalPipeline.SignalOf(options);
    }

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var (set, training) = await RetrievalPipeline.LoadAsync(context, options, cancellation);
        var clock = Stopwatch.StartNew();
        SupervisedPairs? supervised = null;
        if (options.Model.Weights is null)
        {
            // Trained on the data's judgments, the encoder learns from the queries it is not scored on.
            var trainingQueries = set;
            if (RetrievalPipeline.SignalOf(options) == TrainingSignal.Judgments)
                (trainingQueries, set) = RetrievalPipeline.SplitQueries(set, options.Data.HeldOutEvery);
            supervised = RetrievalPipeline.Supervision(context, options, trainingQueries);
        }
        using var trained = RetrievalPipeline.LoadOrTrain(context, options, training, supervised, cancellation);
        var encoder = trained.Encoder;
        double trainingSeconds = options.Model.Weights is null ? clock.Elapsed.TotalSeconds : 0;
        clock.Restart();
        if (options.Model.Weights is not null && options.Training.AdaptEpochs > 0) RetrievalPipeline.Adapt(context, options, encoder, set.Corpus.Passages, cancellation);
        double adaptationSeconds = clock.Elapsed.TotalSeconds;
        List<HybridSearch> hybrids = [.. Enum.GetValues<FusionMethod>().Select(method => RetrievalPipeline.Hybrid(options.Search, trained, method))];
        var rankings = RetrievalPipeline.Rank(context, options, set, encoder, hybrids);
        var scores = rankings.ToDictionary(r => r.Key, r => RankingMetrics.Score(r.Value, set.Relevant));
        foreach (var (method, s) in scores) context.Logger.LogScores(method, s.Mrr10, s.Ndcg10, s.Recall1, s.Recall10, s.Recall100, s.Queries);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            set = set.Name,
            passages = set.Corpus.Passages.Count,
            queries = set.Queries.Count,
            trainingSeconds,
            trainedFrom = options.Model.Weights is null ? JsonNamingPolicy.KebabCaseLower.ConvertName(RetrievalPipeline.SignalOf(options).ToString()) : null,
            adaptEpochs = options.Model.Weights is null ? 0 : options.Training.AdaptEpochs,
            adaptationSeconds,
            hybrid = hybrids.ToDictionary(h => h.Label, h => new { h.DenseWeight, weightFrom = h.WeightSource }),
            model = encoder.Spec,
            scores,
        }, cancellation);
        await context.Artifacts.WriteResultsAsync(Results(set, scores, hybrids, options.Search.FusionK), cancellation);
    }

    private static ResultsPage Results(RetrievalSet set, Dictionary<string, RankingScores> scores, IReadOnlyList<HybridSearch> hybrids, int fusionK)
    {
        var table = new ResultsTable(ResultsColumn.Text("method"), ResultsColumn.Number("MRR@10", "F4"), ResultsColumn.Number("nDCG@10", "F4"),
            ResultsColumn.Number("R@1", "F4"), ResultsColumn.Number("R@10", "F4"), ResultsColumn.Number("R@100", "F4"));
        foreach (var (method, s) in scores) table.Row(method, s.Mrr10, s.Ndcg10, s.Recall1, s.Recall10, s.Recall100);
        return new ResultsPage()
            .Paragraph($"{set.Name}: {set.Corpus.Passages.Count} passages, {set.Queries.Count} queries.")
            .Bullets(hybrids.Select(h => h.Method == FusionMethod.Convex
                ? (FormattableString)$"{h.Label}: min-max normalised BM25 + {h.DenseWeight:0.##} × normalised cosine ({h.WeightSource})."
                : $"{h.Label}: 1 / ({fusionK} + BM25 rank) + {h.DenseWeight:0.##} / ({fusionK} + dense rank) ({h.WeightSource})."))
            .Table(table);
    }
}

/// <summary>
/// Encodes the corpus into <c>embeddings.parquet</c> (id + embedding) and builds the BM25 index in <c>bm25/</c>; with
/// <c>search.index</c> it adds the corpus to that earlier index instead (ids already there are refused). With
/// <c>training.adaptEpochs</c> the encoder is first adapted to the corpus (inverse cloze on its passages) and saved
/// with the index, which <c>search</c> then uses.
/// </summary>
[JobTask("index", Description = "Dense (Parquet) and BM25 (Lucene) indexes of a corpus; incremental with search.index")]
public sealed class IndexTask : JobTask<RetrievalJobOptions>
{
    internal const string Embeddings = "embeddings.parquet", Bm25Folder = "bm25", Passages = "passages.jsonl";

    private const string NoEncoder = "name the run folder of a train job whose encoder to index with";

    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, RetrievalJobOptions options)
    {
        if (options.Search.Index is null && options.Model.Weights is null) throw new JobOptionsException("options.model.weights", NoEncoder);
        if (options.Data.Corpus is null) throw new JobOptionsException("options.data.corpus", "name the corpus to index");
    }

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var corpus = await RetrievalFiles.ReadCorpusAsync(options.Data.CorpusPath(context), new CorpusFields(options.Data.IdField, options.Data.TitleField, options.Data.TextField), cancellation);
        var passages = new List<Passage>();
        string? earlier = options.Search.Index is { } given ? context.ResolvePath(given) : null;
        string model;
        if (earlier is not null)
        {
            // Vectors added to an index must come from the encoder that made the ones already there.
            model = await IndexedModelAsync(earlier, cancellation);
            if (options.Model.Weights is { } weights && Path.GetFullPath(context.ResolvePath(weights)) != Path.GetFullPath(model))
                throw new JobOptionsException("options.model.weights", $"the index {earlier} was built with the encoder in {model}; name that folder (or none) to add to it");
            if (options.Training.AdaptEpochs > 0)
                throw new JobOptionsException("options.training.adaptEpochs", $"adapting would change the encoder, and the vectors already in {earlier} would no longer match; adapt when building a new index");
            passages.AddRange((await RetrievalFiles.ReadCorpusAsync(Path.Combine(earlier, Passages), new CorpusFields(), cancellation)).Passages);
            var clash = corpus.Passages.FirstOrDefault(p => passages.Any(q => q.Id == p.Id));
            if (clash is not null) throw new DataFormatException(corpus.Source, $"passage id '{clash.Id}' is already in the index {earlier}", column: options.Data.IdField);
        }
        else model = context.ResolvePath(options.Model.Weights ?? throw new JobOptionsException("options.model.weights", NoEncoder));

        using var trained = RetrievalPipeline.Load(context, model, earlier is null ? "options.model.weights" : "options.search.index");
        var encoder = trained.Encoder;
        if (earlier is null && options.Training.AdaptEpochs > 0)
        {
            RetrievalPipeline.Adapt(context, options, encoder, corpus.Passages, cancellation);
            RetrievalPipeline.Save(context, trained, options);
            model = context.Artifacts.Directory;
        }
        var index = earlier is null ? new VectorIndex((int)encoder.Spec.ModelDim) : await VectorIndex.LoadAsync(Path.Combine(earlier, Embeddings), cancellation);
        if (index.Dimension != encoder.Spec.ModelDim)
            throw new JobOptionsException("options.search.index", $"the index holds {index.Dimension}-dimensional vectors, the encoder makes {encoder.Spec.ModelDim}");
        using (var bar = context.Progress.Start("encode", corpus.Passages.Count))
            index.Add([.. corpus.Passages.Select(p => p.Id)], RetrievalPipeline.Encode(encoder, [.. corpus.Passages.Select(p => p.Content)], options.Model.StreamChunk, new Progress<int>(n => bar.Report(n))));
        passages.AddRange(corpus.Passages);
        await index.SaveAsync(context.Artifacts.PathOf(Embeddings), cancellation);
        context.Artifacts.Record(Embeddings);
        await context.Artifacts.WriteAsync(Passages, async (stream, token) =>
        {
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
            foreach (var p in passages) await writer.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(new { id = p.Id, title = p.Title, text = p.Text }).AsMemory(), token);
        }, cancellation);
        Bm25Index.Build(new Corpus(corpus.Source, passages), context.Artifacts.PathOf(Bm25Folder), options.Search.K1, options.Search.B).Dispose();
        await context.Artifacts.WriteJsonAsync("index.json", new { passages = passages.Count, dimension = index.Dimension, model, adaptEpochs = options.Training.AdaptEpochs }, cancellation);
    }

    /// <summary>The run folder whose encoder made the index in <paramref name="folder"/> (its <c>index.json</c>).</summary>
    internal static async Task<string> IndexedModelAsync(string folder, CancellationToken cancellation)
    {
        string file = Path.Combine(folder, "index.json");
        if (!File.Exists(file)) throw new DataFormatException(file, "no such file: not the run folder of an index job");
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(file, cancellation));
            return json.RootElement.GetProperty("model").GetString() ?? throw new DataFormatException(file, "'model' is null", column: "model");
        }
        catch (Exception error) when (error is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DataFormatException(file, $"not an index description: {error.Message}", inner: error);
        }
    }
}

/// <summary>Ranked passages for <c>search.query</c> or every query of <c>data.queries</c> from an <c>index</c> run: <c>hits.parquet</c> and a TREC run file per method.</summary>
[JobTask("search", Description = "Search an index with a query text or a query file: dense, BM25 and hybrid")]
public sealed class SearchTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        if (options.Search.Index is null) throw new JobOptionsException("options.search.index", "name the run folder of an index job");
        List<Query> queries = options.Search.Query is { Length: > 0 } text ? [new Query("query", text)]
            : options.Data.Queries is { } file ? RetrievalFiles.ReadQueries(context.ResolvePath(file))
            : throw new JobOptionsException("options.search.query", "give a query text, or a query file as data.queries");
        string folder = context.ResolvePath(options.Search.Index);
        var index = await VectorIndex.LoadAsync(Path.Combine(folder, IndexTask.Embeddings), cancellation);
        using var trained = RetrievalPipeline.Load(context, await IndexTask.IndexedModelAsync(folder, cancellation), "options.search.index");
        var encoder = trained.Encoder;
        var hybrid = RetrievalPipeline.Hybrid(options.Search, trained);
        context.Logger.LogHybrid(hybrid.Method, hybrid.DenseWeight, hybrid.WeightSource);
        using var bm25 = Bm25Index.Open(Path.Combine(folder, IndexTask.Bm25Folder), options.Search.K1, options.Search.B);
        var vectors = RetrievalPipeline.Encode(encoder, [.. queries.Select(q => q.Text)], 0);
        int d = index.Dimension, k = options.Search.TopK;
        var rows = new List<(string Query, string Method, int Rank, string Id, double Score)>();
        for (int q = 0; q < queries.Count; q++)
        {
            var lexical = bm25.Search(queries[q].Text, k);
            var dense = index.Search(vectors.AsSpan(q * d, d), k);
            var methods = new (string Name, List<Hit> Hits)[] { ("dense", dense), ("bm25", lexical), ("hybrid", RetrievalPipeline.Fuse(lexical, dense, options.Search, hybrid)) };
            foreach (var (name, hits) in methods)
                for (int r = 0; r < hits.Count; r++) rows.Add((queries[q].Id, name, r + 1, hits[r].Id, hits[r].Score));
            if (queries.Count == 1)
                foreach (var row in rows.Where(r => r.Method == "hybrid").Take(5)) context.Logger.LogHit(queries[q].Text, row.Method, row.Rank, row.Id, row.Score);
        }
        await context.Artifacts.WriteParquetAsync("hits.parquet",
        [
            new("query", rows.Select(r => r.Query).ToArray()), new("method", rows.Select(r => r.Method).ToArray()),
            new("rank", rows.Select(r => (double)r.Rank).ToArray()), new("id", rows.Select(r => r.Id).ToArray()), new("score", rows.Select(r => r.Score).ToArray()),
        ], cancellation: cancellation);
        foreach (string method in new[] { "dense", "bm25", "hybrid" })
            await context.Artifacts.WriteTextAsync($"{method}.run", string.Concat(rows.Where(r => r.Method == method).Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Query} Q0 {r.Id} {r.Rank} {r.Score:G6} mamba-{method}\n"))), cancellation);
    }
}

/// <summary>
/// Encoding throughput (documents/s) against document length for the Mamba encoder and, of the same width and depth
/// from the core's layers, a Transformer encoder (attention then a gated MLP in every layer) and an attention-only
/// stack; random byte documents, forward only: <c>metrics.json</c> and <c>results.md</c>. A model over the time limit
/// or out of memory at a length is reported as such and skips the longer lengths.
/// </summary>
[JobTask("bench", Description = "Encoding throughput vs length: Mamba encoder against Transformers of the same width and depth")]
public sealed class BenchTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var b = options.Bench;
        int depth = options.Model.Layers.Split(',').Length;
        string attention = string.Join(',', Enumerable.Repeat("A", depth));
        // A Transformer layer is attention then an MLP; mamba_ssm's GatedMLP defaults to a hidden width of 8·d/3.
        long mlp = 8 * options.Model.DModel / 3;
        var models = new (string Name, string Layers, long MlpDim)[] { ("Mamba", options.Model.Layers, 0), ("Transformer", attention, mlp), ("attention only", attention, 0) };
        var encoders = models.Select(m =>
        {
            random.manual_seed(0);
            var encoder = new DenseEncoder(RetrievalPipeline.Spec(context, options.Model) with { Layers = m.Layers, MlpDim = m.MlpDim, MaxTokens = b.Lengths.Max() + 1 });
            encoder.eval();
            return encoder;
        }).ToList();
        var cells = new List<(string Model, int Length, double? DocumentsPerSecond, string Note)>();
        var stopped = new string?[models.Length];
        try
        {
            using var noGrad = no_grad();
            foreach (int length in b.Lengths)
            {
                using var ids = randint(0, 256, [b.Documents, length]);
                using var lengths = full([b.Documents], length, int64);
                // Untimed warm-up passes per model (allocator, and the JIT's tiering, which promotes the kernels to
                // optimised code only after some calls), then the models' timed runs alternate, so a slow spell of
                // this shared machine falls on both and their ratio stays meaningful.
                var seconds = models.Select(_ => new List<double>()).ToArray();
                var stoppedEarlier = stopped.Select(why => why is not null).ToArray();
                for (int m = 0; m < models.Length; m++)
                {
                    if (stopped[m] is not null) continue;
                    var (warmUp, failure) = Time(encoders[m], ids, lengths);
                    if (failure is not null || warmUp > b.TimeLimitSeconds)
                    {
                        stopped[m] = failure ?? $"over {b.TimeLimitSeconds:0} s";
                        continue;
                    }
                    for (double spent = warmUp; spent < b.WarmUpSeconds && failure is null; spent += warmUp)
                        (warmUp, failure) = Time(encoders[m], ids, lengths);
                    if (failure is not null) stopped[m] = failure;
                }
                for (int r = 0; r < b.Repeats; r++)
                    for (int m = 0; m < models.Length; m++)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        if (stopped[m] is not null) continue;
                        var (elapsed, failure) = Time(encoders[m], ids, lengths);
                        if (failure is null) seconds[m].Add(elapsed);
                        else stopped[m] = failure;
                    }
                for (int m = 0; m < models.Length; m++)
                {
                    double? rate = stopped[m] is null ? b.Documents / Median(seconds[m]) : null;
                    string note = stopped[m] is { } why ? (stoppedEarlier[m] ? $"not run ({why} at a shorter length)" : why) : "";
                    cells.Add((models[m].Name, length, rate, note));
                    context.Logger.LogThroughput(models[m].Name, length, rate is { } value ? $"{value:F2} documents/s" : note);
                }
            }
        }
        finally
        {
            foreach (var encoder in encoders) encoder.Dispose();
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new { documents = b.Documents, repeats = b.Repeats, dModel = options.Model.DModel, depth, transformerMlp = mlp, cells = cells.Select(c => new { c.Model, c.Length, c.DocumentsPerSecond, c.Note }) }, cancellation);
        var table = new ResultsTable([ResultsColumn.Number("tokens"), .. models.Select(m => ResultsColumn.Number(m.Name))]);
        object Cell(string model, int length)
        {
            var cell = cells.First(c => c.Model == model && c.Length == length);
            return cell.DocumentsPerSecond is { } rate ? rate.ToString("F2", CultureInfo.InvariantCulture) : cell.Note;
        }
        foreach (int length in b.Lengths) table.Row([length, .. models.Select(m => Cell(m.Name, length))]);
        await context.Artifacts.WriteResultsAsync(new ResultsPage()
            .Paragraph($"Encoding throughput, documents/s (batches of {b.Documents} random byte documents, median of {b.Repeats}; d_model {options.Model.DModel}, {depth} layers; the Transformer's gated MLP asks for {mlp} hidden units, rounded up to a multiple of 128).")
            .Table(table), cancellation);
    }

    /// <summary>Seconds of one forward pass, or why it could not run.</summary>
    private static (double Seconds, string? Failure) Time(DenseEncoder encoder, Tensor ids, Tensor lengths)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using var scope = NewDisposeScope();
            encoder.forward(ids, lengths);
        }
        catch (Exception error) when (error is OutOfMemoryException or System.Runtime.InteropServices.ExternalException)
        {
            return (0, "out of memory");
        }
        return (clock.Elapsed.TotalSeconds, null);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
