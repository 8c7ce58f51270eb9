using System.Globalization;
using System.Text.Json;
using Mamba.Core.Training;
using Mamba.Retrieval.Data;
using Mamba.Retrieval.Dense;
using Mamba.Retrieval.Evaluation;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Tasks;

/// <summary>
/// The hybrid search a training run chose on its validation queries: the best dense weight of each fusion method, and
/// the method that did better (reciprocal-rank fusion on a tie).
/// </summary>
public sealed record FusionChoice(FusionMethod Method, double RrfWeight, double ConvexWeight)
{
    /// <summary>The dense weight chosen for <paramref name="method"/>.</summary>
    public double WeightOf(FusionMethod method) => method == FusionMethod.Convex ? ConvexWeight : RrfWeight;
}

/// <summary>A trained encoder's saved description, with the hybrid search chosen for it (null: none was chosen).</summary>
public sealed record SavedEncoder(DenseEncoderSpec Spec, double Temperature, FusionChoice? Fusion = null);

/// <summary>An encoder with the hybrid search chosen for it on validation queries, if any.</summary>
public sealed record TrainedEncoder(DenseEncoder Encoder, FusionChoice? Fusion) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Encoder.Dispose();
}

/// <summary>MRR@10 of hybrid search by one fusion method at one dense weight, on the training run's validation queries.</summary>
public sealed record FusionTrial(FusionMethod Method, double DenseWeight, double Mrr10);

/// <summary>How a hybrid list is fused: the method, the dense weight (BM25's is 1) and where that weight came from.</summary>
public sealed record HybridSearch(FusionMethod Method, double DenseWeight, string WeightSource)
{
    /// <summary>The column name of this method in evaluation tables.</summary>
    public string Label => Method == FusionMethod.Convex ? "hybrid (convex)" : "hybrid (RRF)";
}

/// <summary>Supervised training pairs, the pairs held out for validation, and where they came from.</summary>
public sealed record SupervisedPairs(IReadOnlyList<TrainingTriple> Training, IReadOnlyList<TrainingTriple> Validation, string Source);

/// <summary>What the retrieval tasks share: the data, training pairs, the encoder, encoding and ranking.</summary>
internal static class RetrievalPipeline
{
    public const string ModelName = "encoder";

    /// <summary>The evaluation set and the unlabelled paragraphs inverse-cloze training may use.</summary>
    public static async Task<(RetrievalSet Set, List<Passage> Training)> LoadAsync(JobContext context, RetrievalJobOptions options, CancellationToken cancellation)
    {
        var data = options.Data;
        string corpusPath = data.CorpusPath(context);
        var fields = new CorpusFields(data.IdField, data.TitleField, data.TextField);
        RetrievalSet set;
        List<Passage> training;
        switch (data.Format)
        {
            case DataFormat.Files:
            {
                if (data.Queries is null || data.Judgments is null) throw new JobOptionsException("options.data", "data.format files needs data.queries and data.judgments");
                var corpus = await RetrievalFiles.ReadCorpusAsync(corpusPath, fields, cancellation);
                var queries = RetrievalFiles.ReadQueries(context.ResolvePath(data.Queries!));
                var judgments = RetrievalFiles.ReadJudgments(context.ResolvePath(data.Judgments!), queries, corpus);
                set = new RetrievalSet(Path.GetFileNameWithoutExtension(corpusPath), corpus, queries, judgments);
                training = [.. corpus.Passages];
                break;
            }
            case DataFormat.FaqText:
                set = FaqText.Read(corpusPath, Path.GetFileNameWithoutExtension(corpusPath));
                training = [.. set.Corpus.Passages];
                break;
            case DataFormat.Titles:
            {
                var corpus = await RetrievalFiles.ReadCorpusAsync(corpusPath, fields, cancellation);
                var titled = corpus.Passages.Where(p => p.Title.Length > 0).ToList();
                if (titled.Count == 0) throw new DataFormatException(corpusPath, $"no passage has a '{data.TitleField}' to use as a query", column: data.TitleField);
                var bodies = new Corpus(corpusPath, [.. corpus.Passages.Select(p => p with { Title = "" })]);
                set = new RetrievalSet(Path.GetFileNameWithoutExtension(corpusPath), bodies, [.. titled.Select(p => new Query("q-" + p.Id, p.Title))], [.. titled.Select(p => new Judgment("q-" + p.Id, p.Id, 1))]);
                training = [.. bodies.Passages];
                break;
            }
            default:
            {
                var paragraphs = RetrievalFiles.ReadGroupedParagraphs(corpusPath, fields, data.GroupField);
                var groups = paragraphs.Select(p => p.Group).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                var heldOut = groups.Where((_, i) => i % data.HeldOutEvery == data.HeldOutEvery - 1).ToHashSet(StringComparer.Ordinal);
                set = InverseCloze.EvaluationSet(Path.GetFileNameWithoutExtension(corpusPath) + " (held-out inverse cloze)", paragraphs.Where(p => heldOut.Contains(p.Group)).Select(p => p.Paragraph), options.Training.Seed);
                training = [.. paragraphs.Where(p => !heldOut.Contains(p.Group)).Select(p => p.Paragraph)];
                break;
            }
        }
        context.Logger.LogSet(set.Name, set.Corpus.Passages.Count, set.Queries.Count, training.Count);
        return (set, training);
    }

    public static DenseEncoderSpec Spec(JobContext context, RetrievalModelOptions model) =>
        new(model.Layers, model.DModel, model.DState, model.Pooling, model.MaxTokens, model.Vocabulary switch
        {
            null or TextTokenizer.GptBpe => model.Vocabulary,
            var file => context.ResolvePath(file),
        }, model.Lowercase);

    /// <summary>
    /// The signal a job trains from: <c>training.from</c>, or under <c>auto</c> the pairs file when set, else the
    /// data's judgments when it has them (format <c>Files</c>), else inverse cloze.
    /// </summary>
    /// <exception cref="JobOptionsException">The signal asked for needs data the job does not name.</exception>
    public static TrainingSignal SignalOf(RetrievalJobOptions options)
    {
        var t = options.Training;
        var signal = t.From != TrainingSignal.Auto ? t.From
            : t.Pairs is not null ? TrainingSignal.Pairs
            : options.Data.Format == DataFormat.Files ? TrainingSignal.Judgments : TrainingSignal.InverseCloze;
        if (signal == TrainingSignal.Judgments && options.Data.Format != DataFormat.Files)
            throw new JobOptionsException("options.training.from", $"judgments come with data.format files (corpus, queries, judgments); this job's format is {JsonNamingPolicy.KebabCaseLower.ConvertName(options.Data.Format.ToString())}");
        if (signal == TrainingSignal.Pairs && t.Pairs is null)
            throw new JobOptionsException("options.training.pairs", "training.from is pairs: name the JSONL file of {query, positive, negative?} pairs");
        return signal;
    }

    /// <summary>
    /// Supervised pairs of the data's own judgments: one per judged-relevant (query, passage), the passage's title and
    /// text as the positive, with the best BM25 hit that is not relevant to the query as a hard negative when asked.
    /// Every 20th query (at least two) and all its pairs are held out for validation.
    /// </summary>
    public static SupervisedPairs JudgedPairs(JobContext context, RetrievalJobOptions options, RetrievalSet set)
    {
        var t = options.Training;
        var judged = set.Queries.Where(q => set.Relevant.ContainsKey(q.Id)).OrderBy(q => q.Id, StringComparer.Ordinal).ToList();
        if (judged.Count < 3)
            throw new DataFormatException(set.Name, $"{judged.Count} queries have a relevant passage; training from judgments needs at least 3 (2 of them held out for validation)");
        int held = Math.Clamp(judged.Count / 20, 2, 256);
        var heldOut = judged.Where((_, i) => i % 20 == 19).Concat(judged.AsEnumerable().Reverse()).Distinct().Take(held).Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
        var bm25 = t.HardNegatives ? Bm25Index.Build(set.Corpus, k1: options.Search.K1, b: options.Search.B) : null;
        List<TrainingTriple> Pairs(IEnumerable<Query> queries) => [.. queries.SelectMany(q =>
        {
            var relevant = set.Relevant[q.Id];
            string? negative = bm25?.Search(q.Text, 10).Where(h => !relevant.ContainsKey(h.Id)).Select(h => set.Corpus[h.Id].Content).FirstOrDefault();
            return relevant.Keys.Order(StringComparer.Ordinal).Select(id => new TrainingTriple(q.Text, set.Corpus[id].Content, negative));
        })];
        var training = Pairs(judged.Where(q => !heldOut.Contains(q.Id)));
        var validation = Pairs(judged.Where(q => heldOut.Contains(q.Id)));
        int negatives = training.Count(p => p.Negative is not null);
        context.Logger.LogPairs(training.Count, "judgments", negatives);
        return new SupervisedPairs(training, validation, "judgments");
    }

    /// <summary>The pairs of <c>training.pairs</c>; the last 5 % (at least two) are held out for validation.</summary>
    public static SupervisedPairs FilePairs(JobContext context, RetrievalJobOptions options)
    {
        string path = context.ResolvePath(options.Training.Pairs!);
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        List<TrainingTriple> pairs = [.. RetrievalFiles.ReadJsonLines(path).Select(r => new TrainingTriple(r.String("query", required: true), r.String("positive", required: true), r.String("negative", required: false) is { Length: > 0 } n ? n : null))];
        if (pairs.Count < 4) throw new DataFormatException(path, $"{pairs.Count} pairs; at least 4 are needed (two to train on with in-batch negatives, two held out)");
        int held = Math.Min(Math.Clamp(pairs.Count / 20, 2, 256), pairs.Count / 2), negatives = pairs.Count(p => p.Negative is not null);
        context.Logger.LogPairs(pairs.Count - held, "supervised", negatives);
        return new SupervisedPairs([.. pairs.SkipLast(held)], [.. pairs.TakeLast(held)], path);
    }

    /// <summary>
    /// The supervised pairs of a training job's signal (null for inverse cloze). <paramref name="set"/> supplies the
    /// judgments; <c>evaluate</c> passes only its training queries.
    /// </summary>
    public static SupervisedPairs? Supervision(JobContext context, RetrievalJobOptions options, RetrievalSet set) => SignalOf(options) switch
    {
        TrainingSignal.Judgments => JudgedPairs(context, options, set),
        TrainingSignal.Pairs => FilePairs(context, options),
        _ => null,
    };

    /// <summary>
    /// Splits the queries of <paramref name="set"/> for <c>evaluate</c> trained on its judgments: every k-th query (by
    /// id, k = <c>data.heldOutEvery</c>) is held out and scored; the others train the encoder.
    /// </summary>
    public static (RetrievalSet Training, RetrievalSet HeldOut) SplitQueries(RetrievalSet set, int every)
    {
        ArgumentNullException.ThrowIfNull(set);
        var ordered = set.Queries.OrderBy(q => q.Id, StringComparer.Ordinal).ToList();
        var heldOut = ordered.Where((_, i) => i % every == every - 1).Select(q => q.Id).ToHashSet(StringComparer.Ordinal);
        RetrievalSet Of(bool held, string name) => new(name, set.Corpus, [.. set.Queries.Where(q => heldOut.Contains(q.Id) == held)],
            [.. set.Judgments.Where(j => heldOut.Contains(j.QueryId) == held)]);
        return (Of(false, set.Name + " (training queries)"), Of(true, $"{set.Name} (held-out queries, every {every}th)"));
    }

    /// <summary>Inverse-cloze triples per epoch of <paramref name="paragraphs"/>, a new sentence drawn from each every epoch.</summary>
    private static Func<int, IReadOnlyList<TrainingTriple>> InverseClozeTriples(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> paragraphs)
    {
        var t = options.Training;
        var corpus = new Corpus("training paragraphs", [.. paragraphs]);
        var bm25 = t.HardNegatives ? Bm25Index.Build(corpus, k1: options.Search.K1, b: options.Search.B) : null;
        var cache = new Dictionary<int, IReadOnlyList<TrainingTriple>>();
        IReadOnlyList<TrainingTriple> OfEpoch(int epoch)
        {
            if (cache.TryGetValue(epoch, out var cached)) return cached;
            var pairs = InverseCloze.Pairs(paragraphs, new Random(t.SeedFor(epoch)), t.KeepSentence);
            List<TrainingTriple> triples = [.. pairs.Select(p => new TrainingTriple(p.Sentence, p.Context,
                bm25?.Search(p.Sentence, 5).Where(h => h.Id != p.Id).Select(h => corpus[h.Id].Text).FirstOrDefault()))];
            cache.Clear();
            cache[epoch] = triples;
            return triples;
        }
        var first = OfEpoch(1);
        if (first.Count < 2)
        {
            var (usable, most) = InverseCloze.Usable(paragraphs);
            throw new JobOptionsException("options.data",
                $"inverse cloze needs at least 2 paragraphs of three or more sentences (a sentence ends in . ! or ? and a space); {usable} of the " +
                $"{paragraphs.Count} training paragraphs qualify, the longest has {most}. Split the text into paragraphs with several sentences each, " +
                "or train from judgments (data.format files with queries and judgments) or from training.pairs");
        }
        int negatives = first.Count(x => x.Negative is not null);
        context.Logger.LogPairs(first.Count, "inverse cloze, a new sentence per paragraph each epoch", negatives);
        return OfEpoch;
    }

    /// <summary>The dense weights tried for each fusion method on validation queries after training (BM25's weight is 1).</summary>
    internal static readonly double[] FusionGrid = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3];

    /// <summary>
    /// Trains an encoder: optional next-token pretraining on the training paragraphs, then InfoNCE on their
    /// inverse-cloze (or the supervised) triples. 5 % of the paragraphs (or pairs) are held out: their loss is the
    /// validation metric, and after training their queries choose the fusion method and dense weights of hybrid
    /// search (<see cref="ChooseFusion"/>), so no evaluation query ever tunes them.
    /// </summary>
    public static (TrainedEncoder Trained, IReadOnlyList<FusionTrial> Trials) Train(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> paragraphs, SupervisedPairs? supervised, CancellationToken cancellation)
    {
        var t = options.Training;
        random.manual_seed(t.Seed);
        Func<int, IReadOnlyList<TrainingTriple>> triplesOfEpoch;
        List<TrainingTriple> validation;
        IReadOnlyList<Passage> trainingParagraphs;
        IEnumerable<string> distractors;
        if (supervised is null)
        {
            int held = Math.Clamp(paragraphs.Count / 20, 2, 256);
            var validationParagraphs = paragraphs.Where((_, i) => i % 20 == 19).Take(held).ToList();
            trainingParagraphs = paragraphs.Except(validationParagraphs).ToList();
            triplesOfEpoch = InverseClozeTriples(context, options, trainingParagraphs);
            validation = [.. InverseCloze.Pairs(validationParagraphs, new Random(t.Seed), 0).Select(p => new TrainingTriple(p.Sentence, p.Context, null))];
            distractors = trainingParagraphs.Select(p => p.Text);
        }
        else
        {
            // The corpus text still serves next-token pretraining: it is unlabelled.
            trainingParagraphs = paragraphs;
            triplesOfEpoch = _ => supervised.Training;
            validation = [.. supervised.Validation];
            distractors = supervised.Training.Select(p => p.Positive).Distinct(StringComparer.Ordinal);
        }
        var encoder = new DenseEncoder(Spec(context, options.Model));
        if (t.PretrainSteps > 0)
            ContrastiveTraining.Pretrain(context.Training, "pretrain", encoder, [.. trainingParagraphs.Select(p => p.Text)], t.PretrainSteps, options.Model.MaxTokens, t, cancellation);
        double Validate()
        {
            double total = 0;
            int batches = 0;
            foreach (var batch in validation.Chunk(t.BatchSize).Where(b => b.Length > 1))
            {
                using var loss = ContrastiveTraining.Loss(encoder, batch, t.Temperature);
                total += loss.item<float>();
                batches++;
            }
            encoder.train();
            return total / Math.Max(1, batches);
        }
        ContrastiveTraining.Fit(context.Training, "encoder", encoder, triplesOfEpoch, t, t.Temperature, Validate, cancellation);
        encoder.eval();
        var trials = ChooseFusion(context, options, encoder, validation, [.. distractors]);
        var best = trials.GroupBy(trial => trial.Method).ToDictionary(group => group.Key, group => group.MaxBy(trial => trial.Mrr10)!);
        var (rrf, convex) = (best[FusionMethod.Rrf], best[FusionMethod.Convex]);
        var chosen = new FusionChoice(convex.Mrr10 > rrf.Mrr10 ? FusionMethod.Convex : FusionMethod.Rrf, rrf.DenseWeight, convex.DenseWeight);
        foreach (var method in Enum.GetValues<FusionMethod>())
        {
            string sweep = string.Join(", ", trials.Where(trial => trial.Method == method).Select(trial => string.Create(CultureInfo.InvariantCulture, $"{trial.DenseWeight:0.##} → {trial.Mrr10:F4}")));
            double weight = chosen.WeightOf(method);
            context.Logger.LogFusion(method, validation.Count, sweep, weight);
        }
        context.Logger.LogFusionMethod(chosen.Method);
        return (new TrainedEncoder(encoder, chosen), trials);
    }

    /// <summary>
    /// Hybrid search's MRR@10 by each fusion method at each weight of <see cref="FusionGrid"/> on the held-out
    /// <paramref name="validation"/> queries, each of whose one relevant passage is its own positive among all validation
    /// positives and the <paramref name="distractors"/> (the training passages: the retrieval the encoder will face, at
    /// the size of its own corpus). The first of a method's best weights, in grid order, is the one to use.
    /// </summary>
    public static List<FusionTrial> ChooseFusion(JobContext context, RetrievalJobOptions options, DenseEncoder encoder, IReadOnlyList<TrainingTriple> validation, IReadOnlyList<string> distractors)
    {
        List<Passage> passages = [.. validation.Select((v, i) => new Passage($"validation-{i}", "", v.Positive)), .. distractors.Select((text, i) => new Passage($"distractor-{i}", "", text))];
        var set = new RetrievalSet("validation", new Corpus("validation", passages),
            [.. validation.Select((v, i) => new Query($"q-{i}", v.Query))], [.. validation.Select((_, i) => new Judgment($"q-{i}", $"validation-{i}", 1))]);
        var (lexical, dense) = RankSeparately(context, options, set, encoder);
        return [.. Enum.GetValues<FusionMethod>().SelectMany(method => FusionGrid.Select(weight => new FusionTrial(method, weight,
            RankingMetrics.Score(lexical.ToDictionary(q => q.Key, q => Fuse(q.Value, dense[q.Key], options.Search, new HybridSearch(method, weight, "validation"))), set.Relevant).Mrr10)))];
    }

    /// <summary>
    /// Unsupervised domain adaptation: <c>training.adaptEpochs</c> epochs of InfoNCE on inverse-cloze pairs (with
    /// BM25-mined negatives when asked) of <paramref name="passages"/>, the corpus about to be searched. Only its text
    /// is used, never queries or judgments.
    /// </summary>
    public static void Adapt(JobContext context, RetrievalJobOptions options, DenseEncoder encoder, IReadOnlyList<Passage> passages, CancellationToken cancellation)
    {
        var t = options.Training;
        random.manual_seed(t.Seed);
        // Inverse cloze even when training.pairs is set: adaptation must see the searched corpus's text, never labels.
        var triplesOfEpoch = InverseClozeTriples(context, options, passages);
        encoder.train();
        var adaptation = t.Copy();
        adaptation.Epochs = t.AdaptEpochs;
        adaptation.LearningRate = t.AdaptLearningRate;
        ContrastiveTraining.Fit(context.Training, "adapt", encoder, triplesOfEpoch, adaptation, t.Temperature, null, cancellation);
        encoder.eval();
    }

    public static void Save(JobContext context, TrainedEncoder trained, RetrievalJobOptions options) =>
        context.Models.Save(ModelName, trained.Encoder, new SavedEncoder(trained.Encoder.Spec, options.Training.Temperature, trained.Fusion));

    /// <summary>The encoder saved in the run folder <paramref name="runFolder"/> (named by option <paramref name="key"/>), with its chosen hybrid search.</summary>
    public static TrainedEncoder Load(JobContext context, string runFolder, string key)
    {
        var (encoder, saved) = context.Models.Load<SavedEncoder, DenseEncoder>(runFolder, ModelName, saved => new DenseEncoder(saved.Spec), key);
        encoder.eval();
        return new TrainedEncoder(encoder, saved.Fusion);
    }

    /// <summary>The encoder of <c>model.weights</c>, or one trained now on the set's training paragraphs.</summary>
    public static TrainedEncoder LoadOrTrain(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> training, SupervisedPairs? supervised, CancellationToken cancellation) =>
        options.Model.Weights is { } weights
            ? Load(context, weights, "options.model.weights")
            : Train(context, options, training, supervised, cancellation).Trained;

    /// <summary>
    /// The hybrid search of <paramref name="method"/> (absent: <c>search.fusion</c>, else the encoder's chosen method,
    /// else reciprocal-rank fusion) at <c>search.denseWeight</c> when set, else the weight chosen for that method on the
    /// training run's validation queries, else 1.
    /// </summary>
    public static HybridSearch Hybrid(SearchOptions search, TrainedEncoder trained, FusionMethod? method = null)
    {
        var fusion = method ?? search.Fusion ?? trained.Fusion?.Method ?? FusionMethod.Rrf;
        return search.DenseWeight is { } set ? new(fusion, set, "search.denseWeight")
            : trained.Fusion is { } chosen ? new(fusion, chosen.WeightOf(fusion), "chosen on the training run's validation queries")
            : new(fusion, 1, "weight 1 (the encoder has no chosen weight)");
    }

    /// <summary>
    /// Unit vectors of <paramref name="texts"/>, row-major: batches of similar length, texts longer than the encoder's
    /// window streamed whole through the recurrent state when <c>model.streamChunk</c> allows (else cut).
    /// </summary>
    public static float[] Encode(DenseEncoder encoder, IReadOnlyList<string> texts, int streamChunk, IProgress<int>? progress = null, int batchSize = 32)
    {
        encoder.eval();
        using var noGrad = no_grad();
        int d = (int)encoder.Spec.ModelDim;
        var vectors = new float[texts.Count * d];
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ToList();
        int done = 0;
        var fits = order.Where(i => streamChunk == 0 || encoder.Tokenize(texts[i], int.MaxValue).Length <= encoder.Spec.MaxTokens).ToList();
        foreach (var batch in fits.Chunk(batchSize))
        {
            using var encoded = encoder.Encode([.. batch.Select(i => texts[i])]);
            var values = encoded.data<float>().ToArray();
            for (int b = 0; b < batch.Length; b++) values.AsSpan(b * d, d).CopyTo(vectors.AsSpan(batch[b] * d, d));
            progress?.Report(done += batch.Length);
        }
        foreach (int i in order.Except(fits))
        {
            using var encoded = encoder.EncodeStreaming(texts[i], streamChunk);
            encoded.data<float>().ToArray().CopyTo(vectors.AsSpan(i * d, d));
            progress?.Report(++done);
        }
        return vectors;
    }

    /// <summary>The hybrid ranking: BM25 (weight 1) and dense hits fused as <paramref name="hybrid"/> says.</summary>
    public static List<Hit> Fuse(List<Hit> lexical, List<Hit> dense, SearchOptions search, HybridSearch hybrid) => hybrid.Method switch
    {
        FusionMethod.Convex => ConvexCombination.Fuse([lexical, dense], search.TopK, [1, hybrid.DenseWeight]),
        _ => ReciprocalRankFusion.Fuse([lexical, dense], search.TopK, search.FusionK, [1, hybrid.DenseWeight]),
    };

    /// <summary>BM25, dense and each <paramref name="hybrids"/> ranking of every query of <paramref name="set"/>, by method label.</summary>
    public static Dictionary<string, Dictionary<string, List<Hit>>> Rank(JobContext context, RetrievalJobOptions options, RetrievalSet set, DenseEncoder encoder, IReadOnlyList<HybridSearch> hybrids)
    {
        var (lexical, dense) = RankSeparately(context, options, set, encoder);
        var rankings = new Dictionary<string, Dictionary<string, List<Hit>>> { ["BM25"] = lexical, ["dense"] = dense };
        foreach (var hybrid in hybrids) rankings[hybrid.Label] = lexical.ToDictionary(q => q.Key, q => Fuse(q.Value, dense[q.Key], options.Search, hybrid));
        return rankings;
    }

    /// <summary>BM25 and dense rankings of every query of <paramref name="set"/>, by query id.</summary>
    private static (Dictionary<string, List<Hit>> Lexical, Dictionary<string, List<Hit>> Dense) RankSeparately(JobContext context, RetrievalJobOptions options, RetrievalSet set, DenseEncoder encoder)
    {
        var passages = set.Corpus.Passages;
        int k = options.Search.TopK;
        var index = new VectorIndex((int)encoder.Spec.ModelDim);
        using (var bar = context.Progress.Start("encode passages", passages.Count))
            index.Add([.. passages.Select(p => p.Id)], Encode(encoder, [.. passages.Select(p => p.Content)], options.Model.StreamChunk, new Progress<int>(n => bar.Report(n))));
        var queryVectors = Encode(encoder, [.. set.Queries.Select(q => q.Text)], 0);
        using var bm25 = Bm25Index.Build(set.Corpus, k1: options.Search.K1, b: options.Search.B);
        var lexical = new Dictionary<string, List<Hit>>();
        var dense = new Dictionary<string, List<Hit>>();
        int d = index.Dimension;
        for (int q = 0; q < set.Queries.Count; q++)
        {
            var query = set.Queries[q];
            lexical[query.Id] = bm25.Search(query.Text, k);
            dense[query.Id] = index.Search(queryVectors.AsSpan(q * d, d), k);
        }
        return (lexical, dense);
    }
}
