using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mamba.Retrieval.Data;
using Mamba.Retrieval.Dense;
using Mamba.Retrieval.Evaluation;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Tasks;

/// <summary>Trains the dense encoder (inverse cloze on the data's training paragraphs, or supervised pairs) and saves it under <c>model/</c>.</summary>
[JobTask("train", Description = "Train the Mamba bi-encoder contrastively (inverse cloze or supervised pairs)")]
public sealed class TrainTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var (_, training) = await RetrievalPipeline.LoadAsync(context, options, cancellation);
        var clock = Stopwatch.StartNew();
        using var encoder = RetrievalPipeline.Train(context, options, training, cancellation);
        RetrievalPipeline.Save(context, encoder, options);
        await context.Artifacts.WriteJsonAsync("metrics.json", new { trainingSeconds = clock.Elapsed.TotalSeconds, paragraphs = training.Count }, cancellation);
    }
}

/// <summary>BM25, the dense encoder and their reciprocal-rank fusion on the data's queries: <c>metrics.json</c> and <c>results.md</c>.</summary>
[JobTask("evaluate", Description = "Dense vs BM25 vs hybrid: MRR@10, nDCG@10, Recall@1/10/100")]
public sealed class EvaluateTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var (set, training) = await RetrievalPipeline.LoadAsync(context, options, cancellation);
        var clock = Stopwatch.StartNew();
        using var encoder = RetrievalPipeline.LoadOrTrain(context, options, training, cancellation);
        double trainingSeconds = options.Model.Weights is null ? clock.Elapsed.TotalSeconds : 0;
        var rankings = RetrievalPipeline.Rank(context, options, set, encoder);
        var scores = rankings.ToDictionary(r => r.Key, r => RankingMetrics.Score(r.Value, set.Relevant));
        foreach (var (method, s) in scores) context.Logger.LogScores(method, s.Mrr10, s.Ndcg10, s.Recall1, s.Recall10, s.Recall100, s.Queries);
        await context.Artifacts.WriteJsonAsync("metrics.json", new
        {
            set = set.Name,
            passages = set.Corpus.Passages.Count,
            queries = set.Queries.Count,
            trainingSeconds,
            model = encoder.Spec,
            scores,
        }, cancellation);
        await context.Artifacts.WriteTextAsync("results.md", Table(set, scores), cancellation);
    }

    private static string Table(RetrievalSet set, Dictionary<string, RankingScores> scores)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{set.Name}: {set.Corpus.Passages.Count} passages, {set.Queries.Count} queries.");
        text.AppendLine();
        text.AppendLine("| method | MRR@10 | nDCG@10 | R@1 | R@10 | R@100 |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (method, s) in scores)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {method} | {s.Mrr10:F4} | {s.Ndcg10:F4} | {s.Recall1:F4} | {s.Recall10:F4} | {s.Recall100:F4} |");
        return text.ToString();
    }
}

/// <summary>
/// Encodes the corpus into <c>embeddings.parquet</c> (id + embedding) and builds the BM25 index in <c>bm25/</c>; with
/// <c>search.index</c> it adds the corpus to that earlier index instead (ids already there are refused).
/// </summary>
[JobTask("index", Description = "Dense (Parquet) and BM25 (Lucene) indexes of a corpus; incremental with search.index")]
public sealed class IndexTask : JobTask<RetrievalJobOptions>
{
    internal const string Embeddings = "embeddings.parquet", Bm25Folder = "bm25", Passages = "passages.jsonl";

    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        if (options.Model.Weights is null) throw new JobOptionsException("options.model.weights", "name the run folder of a train job whose encoder to index with");
        var corpus = await RetrievalFiles.ReadCorpusAsync(options.Data.CorpusPath(context), new CorpusFields(options.Data.IdField, options.Data.TitleField, options.Data.TextField), cancellation);
        using var encoder = RetrievalPipeline.Load(context.ResolvePath(options.Model.Weights));
        var passages = new List<Passage>();
        VectorIndex index;
        if (options.Search.Index is { } earlier)
        {
            string folder = context.ResolvePath(earlier);
            index = await VectorIndex.LoadAsync(Path.Combine(folder, Embeddings), cancellation);
            if (index.Dimension != encoder.Spec.ModelDim) throw new JobOptionsException("options.search.index", $"{folder} holds {index.Dimension}-dimensional vectors, the encoder makes {encoder.Spec.ModelDim}");
            passages.AddRange((await RetrievalFiles.ReadCorpusAsync(Path.Combine(folder, Passages), new CorpusFields(), cancellation)).Passages);
            var clash = corpus.Passages.FirstOrDefault(p => passages.Any(q => q.Id == p.Id));
            if (clash is not null) throw new DataFormatException(corpus.Source, $"passage id '{clash.Id}' is already in the index {folder}", column: options.Data.IdField);
        }
        else index = new VectorIndex((int)encoder.Spec.ModelDim);
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
        await context.Artifacts.WriteJsonAsync("index.json", new { passages = passages.Count, dimension = index.Dimension, model = context.ResolvePath(options.Model.Weights) }, cancellation);
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
        string model = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "index.json"), cancellation)).RootElement.GetProperty("model").GetString()!;
        using var encoder = RetrievalPipeline.Load(model);
        using var bm25 = Bm25Index.Open(Path.Combine(folder, IndexTask.Bm25Folder), options.Search.K1, options.Search.B);
        var vectors = RetrievalPipeline.Encode(encoder, [.. queries.Select(q => q.Text)], 0);
        int d = index.Dimension, k = options.Search.TopK;
        var rows = new List<(string Query, string Method, int Rank, string Id, double Score)>();
        for (int q = 0; q < queries.Count; q++)
        {
            var lexical = bm25.Search(queries[q].Text, k);
            var dense = index.Search(vectors.AsSpan(q * d, d), k);
            var methods = new (string Name, List<Hit> Hits)[] { ("dense", dense), ("bm25", lexical), ("hybrid", ReciprocalRankFusion.Fuse([lexical, dense], k, options.Search.FusionK)) };
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
/// Encoding throughput (documents/s) against document length for the Mamba encoder and a Transformer encoder of the
/// same width and depth built from the core attention layer, random byte documents, forward only:
/// <c>metrics.json</c> and <c>results.md</c>. A cell over the time limit or out of memory is reported as such and
/// longer lengths are skipped for that model.
/// </summary>
[JobTask("bench", Description = "Encoding throughput vs length: Mamba encoder against a Transformer of the same size")]
public sealed class BenchTask : JobTask<RetrievalJobOptions>
{
    /// <inheritdoc/>
    protected override async Task RunAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var b = options.Bench;
        int depth = options.Model.Layers.Split(',').Length;
        var models = new (string Name, string Layers)[] { ("Mamba", options.Model.Layers), ("Transformer", string.Join(',', Enumerable.Repeat("A", depth))) };
        var cells = new List<(string Model, int Length, double? DocumentsPerSecond, string Note)>();
        foreach (var (name, layers) in models)
        {
            random.manual_seed(0);
            using var encoder = new DenseEncoder(RetrievalPipeline.Spec(context, options.Model) with { Layers = layers, MaxTokens = b.Lengths.Max() + 1 });
            encoder.eval();
            string? stopped = null;
            foreach (int length in b.Lengths)
            {
                cancellation.ThrowIfCancellationRequested();
                if (stopped is not null) { cells.Add((name, length, null, stopped)); continue; }
                var (rate, note) = Measure(encoder, b, length);
                if (rate is null) stopped = $"not run ({note} at a shorter length)";
                cells.Add((name, length, rate, note));
                context.Logger.LogThroughput(name, length, rate is { } r ? $"{r:F2} documents/s" : note);
            }
        }
        await context.Artifacts.WriteJsonAsync("metrics.json", new { documents = b.Documents, repeats = b.Repeats, dModel = options.Model.DModel, depth, cells = cells.Select(c => new { c.Model, c.Length, c.DocumentsPerSecond, c.Note }) }, cancellation);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Encoding throughput, documents/s (batches of {b.Documents} random byte documents, median of {b.Repeats}; d_model {options.Model.DModel}, {depth} layers).");
        text.AppendLine();
        text.AppendLine("| tokens | " + string.Join(" | ", models.Select(m => m.Name)) + " |");
        text.AppendLine("| ---: | " + string.Join(" | ", models.Select(_ => "---:")) + " |");
        string Cell(string model, int length)
        {
            var cell = cells.First(c => c.Model == model && c.Length == length);
            return cell.DocumentsPerSecond is { } rate ? rate.ToString("F2", CultureInfo.InvariantCulture) : cell.Note;
        }
        foreach (int length in b.Lengths)
            text.AppendLine("| " + length.ToString(CultureInfo.InvariantCulture) + " | " + string.Join(" | ", models.Select(m => Cell(m.Name, length))) + " |");
        await context.Artifacts.WriteTextAsync("results.md", text.ToString(), cancellation);
    }

    private static (double? Rate, string Note) Measure(DenseEncoder encoder, RetrievalBenchOptions bench, int length)
    {
        using var noGrad = no_grad();
        using var ids = randint(0, 256, [bench.Documents, length]);
        using var lengths = full([bench.Documents], length, int64);
        var seconds = new List<double>();
        for (int r = 0; r < bench.Repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                using var scope = NewDisposeScope();
                encoder.forward(ids, lengths);
            }
            catch (Exception error) when (error is OutOfMemoryException or System.Runtime.InteropServices.ExternalException)
            {
                return (null, "out of memory");
            }
            seconds.Add(clock.Elapsed.TotalSeconds);
            if (r == 0 && seconds[0] > bench.TimeLimitSeconds) return (null, $"over {bench.TimeLimitSeconds:0} s");
        }
        seconds.Sort();
        return (bench.Documents / seconds[seconds.Count / 2], "");
    }
}
