using Mamba.Core.Checkpoints;
using Mamba.Core.Training;
using Mamba.Retrieval.Data;
using Mamba.Retrieval.Dense;
using Mamba.Retrieval.Evaluation;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Tasks;

/// <summary>A trained encoder's saved description.</summary>
public sealed record SavedEncoder(DenseEncoderSpec Spec, double Temperature);

/// <summary>What the retrieval tasks share: the data, training pairs, the encoder, encoding and ranking.</summary>
internal static class RetrievalPipeline
{
    public const string ModelFolder = "model";

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
                if (data.Queries is null || data.Judgments is null) throw new JobOptionsException("options.data", "format Files needs data.queries and data.judgments");
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
        new(model.Layers, model.DModel, model.DState, model.Pooling, model.MaxTokens, model.Vocabulary is { } vocabulary ? context.ResolvePath(vocabulary) : null, model.Lowercase);

    /// <summary>
    /// Training triples per epoch: supervised pairs as given, or inverse-cloze pairs with a new sentence drawn from
    /// each paragraph every epoch; with a BM25-mined hard negative each when asked.
    /// </summary>
    public static Func<int, IReadOnlyList<TrainingTriple>> Triples(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> paragraphs)
    {
        var t = options.Training;
        if (t.Pairs is { } pairsPath)
        {
            string path = context.ResolvePath(pairsPath);
            if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
            List<TrainingTriple> pairs = [.. RetrievalFiles.ReadJsonLines(path).Select(r => new TrainingTriple(r.String("query", required: true), r.String("positive", required: true), r.String("negative", required: false) is { Length: > 0 } n ? n : null))];
            if (pairs.Count < 2) throw new DataFormatException(path, "at least two pairs are needed (in-batch negatives)");
            int withNegative = pairs.Count(p => p.Negative is not null);
            context.Logger.LogPairs(pairs.Count, "supervised", withNegative);
            return _ => pairs;
        }
        var corpus = new Corpus("training paragraphs", [.. paragraphs]);
        var bm25 = t.HardNegatives ? Bm25Index.Build(corpus, k1: options.Search.K1, b: options.Search.B) : null;
        var cache = new Dictionary<int, IReadOnlyList<TrainingTriple>>();
        IReadOnlyList<TrainingTriple> OfEpoch(int epoch)
        {
            if (cache.TryGetValue(epoch, out var cached)) return cached;
            var pairs = InverseCloze.Pairs(paragraphs, new Random(DerivedSeed.Of(t.Seed, epoch)), t.KeepSentence);
            List<TrainingTriple> triples = [.. pairs.Select(p => new TrainingTriple(p.Sentence, p.Context,
                bm25?.Search(p.Sentence, 5).Where(h => h.Id != p.Id).Select(h => corpus[h.Id].Text).FirstOrDefault()))];
            cache.Clear();
            cache[epoch] = triples;
            return triples;
        }
        var first = OfEpoch(1);
        if (first.Count < 2) throw new JobOptionsException("options.data", "fewer than two paragraphs with three or more sentences: nothing to train on");
        int negatives = first.Count(x => x.Negative is not null);
        context.Logger.LogPairs(first.Count, "inverse cloze, a new sentence per paragraph each epoch", negatives);
        return OfEpoch;
    }

    /// <summary>
    /// Trains an encoder: optional next-token pretraining on the training paragraphs, then InfoNCE on
    /// their inverse-cloze (or the supervised) triples; 5 % of the paragraphs (or pairs) are held back for the validation loss.
    /// </summary>
    public static DenseEncoder Train(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> paragraphs, CancellationToken cancellation)
    {
        var t = options.Training;
        random.manual_seed(t.Seed);
        int held = Math.Clamp(paragraphs.Count / 20, 2, 256);
        var validationParagraphs = paragraphs.Where((_, i) => i % 20 == 19).Take(held).ToList();
        var trainingParagraphs = paragraphs.Except(validationParagraphs).ToList();
        var triplesOfEpoch = Triples(context, options, trainingParagraphs);
        var validation = t.Pairs is null ? InverseCloze.Pairs(validationParagraphs, new Random(t.Seed), 0).Select(p => new TrainingTriple(p.Sentence, p.Context, null)).ToList() : triplesOfEpoch(1).TakeLast(held).ToList();
        var encoder = new DenseEncoder(Spec(context, options.Model));
        if (t.PretrainSteps > 0)
        {
            using var bar = context.Progress.Start("pretrain", t.PretrainSteps);
            ContrastiveTraining.Pretrain(encoder, [.. trainingParagraphs.Select(p => p.Text)], t.PretrainSteps, t.BatchSize, options.Model.MaxTokens, t.LearningRate, t.Seed, bar.ForTraining(), cancellation);
        }
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
        using (var bar = context.Progress.Start("encoder", t.Epochs * Math.Max(1, triplesOfEpoch(1).Count / t.BatchSize)))
        {
            ContrastiveTraining.Fit(encoder, triplesOfEpoch, new ContrastiveOptions { Epochs = t.Epochs, BatchSize = t.BatchSize, LearningRate = t.LearningRate, Temperature = t.Temperature, Seed = t.Seed }, Validate, bar.ForTraining(), cancellation);
        }
        encoder.eval();
        return encoder;
    }

    public static void Save(JobContext context, DenseEncoder encoder, RetrievalJobOptions options)
    {
        string folder = Path.Combine(context.Artifacts.Directory, ModelFolder);
        ModelCheckpoint.Save(folder, encoder, new SavedEncoder(encoder.Spec, options.Training.Temperature));
        context.Artifacts.Record(Path.Combine(ModelFolder, "model.safetensors"));
    }

    /// <summary>The encoder saved in the run folder <paramref name="runFolder"/>.</summary>
    public static DenseEncoder Load(string runFolder)
    {
        string folder = Path.Combine(runFolder, ModelFolder);
        var saved = ModelCheckpoint.LoadConfig<SavedEncoder>(folder);
        var encoder = new DenseEncoder(saved.Spec);
        ModelCheckpoint.LoadWeights(encoder, Path.Combine(folder, "model.safetensors"));
        encoder.eval();
        return encoder;
    }

    /// <summary>The encoder of <c>model.weights</c>, or one trained now on the set's training paragraphs.</summary>
    public static DenseEncoder LoadOrTrain(JobContext context, RetrievalJobOptions options, IReadOnlyList<Passage> training, CancellationToken cancellation) =>
        options.Model.Weights is { } weights
            ? Load(context.ResolvePath(weights))
            : Train(context, options, training, cancellation);

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

    /// <summary>BM25, dense and hybrid (RRF) rankings of every query of <paramref name="set"/>.</summary>
    public static Dictionary<string, Dictionary<string, List<Hit>>> Rank(JobContext context, RetrievalJobOptions options, RetrievalSet set, DenseEncoder encoder)
    {
        var passages = set.Corpus.Passages;
        int k = options.Search.TopK;
        var index = new VectorIndex((int)encoder.Spec.ModelDim);
        using (var bar = context.Progress.Start("encode passages", passages.Count))
            index.Add([.. passages.Select(p => p.Id)], Encode(encoder, [.. passages.Select(p => p.Content)], options.Model.StreamChunk, new Progress<int>(n => bar.Report(n))));
        var queryVectors = Encode(encoder, [.. set.Queries.Select(q => q.Text)], 0);
        using var bm25 = Bm25Index.Build(set.Corpus, k1: options.Search.K1, b: options.Search.B);
        var rankings = new Dictionary<string, Dictionary<string, List<Hit>>> { ["BM25"] = [], ["dense"] = [], ["hybrid (RRF)"] = [] };
        int d = index.Dimension;
        for (int q = 0; q < set.Queries.Count; q++)
        {
            var query = set.Queries[q];
            var lexical = bm25.Search(query.Text, k);
            var dense = index.Search(queryVectors.AsSpan(q * d, d), k);
            rankings["BM25"][query.Id] = lexical;
            rankings["dense"][query.Id] = dense;
            rankings["hybrid (RRF)"][query.Id] = ReciprocalRankFusion.Fuse([lexical, dense], k, options.Search.FusionK);
        }
        return rankings;
    }
}
