using Mamba.Retrieval.Dense;
using Mamba.Sdk.Data;
using Mamba.Sdk.Training;
using static TorchSharp.torch;

namespace Mamba.Retrieval.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public static class GlobalRandomTests
{
    public const string Name = "global torch random state";
}

[Collection(GlobalRandomTests.Name)]
public sealed class DenseTests
{
    private static DenseEncoder Tiny(Pooling pooling = Pooling.Last) => new(new DenseEncoderSpec("M1,M1", 32, 8, pooling, MaxTokens: 4096));

    [Fact]
    public void Tokens_are_utf8_bytes_then_the_end_token()
    {
        Assert.Equal([0x68, 0xC3, 0xA9, 256], TextTokenizer.Bytes.Encode("hé", 16));
        Assert.Equal([0x61, 0x62, 256], TextTokenizer.Bytes.Encode("abcdef", 3));
        Assert.Equal(258, TextTokenizer.Bytes.VocabularySize);
        Assert.Equal([0x61, 0x62, 0x63, 256], TextTokenizer.For(null, lowercase: true).Encode("AbC", 8));
    }

    [Fact]
    public void A_wordpiece_vocabulary_gives_its_line_numbers_as_ids()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mamba-vocab-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(path, ["[UNK]", "oil", "price", "##s", "fell"]);
        try
        {
            var tokenizer = TextTokenizer.FromVocabulary(path);

            Assert.Equal([1, 2, 3, 4, 0, 5], tokenizer.Encode("oil prices fell sharply", 16));   // unknown word → [UNK]
            Assert.Equal(7, tokenizer.VocabularySize);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_bundled_gpt2_bpe_reads_words_lower_cased_and_ends_with_its_own_end_token()
    {
        var tokenizer = TextTokenizer.For(TextTokenizer.GptBpe, lowercase: true);

        var ids = tokenizer.Encode("Crude OIL prices fell", 16);

        Assert.Equal(tokenizer.Encode("crude oil prices fell", 16), ids);
        Assert.InRange(ids.Length, 5, 6);                            // a token or two per word, not 21 bytes
        Assert.Equal(50257, ids[^1]);                                // after GPT-2's own end-of-text, 50256
        Assert.All(ids[..^1], id => Assert.InRange(id, 0, 50256));
        Assert.Equal(50259, tokenizer.VocabularySize);               // 50,257 GPT-2 ids, end, pad
    }

    [Theory]
    [InlineData(Pooling.Last)]
    [InlineData(Pooling.Mean)]
    public void Streaming_a_text_in_chunks_equals_encoding_it_whole(Pooling pooling)
    {
        random.manual_seed(1);
        using var encoder = Tiny(pooling);
        encoder.eval();
        string text = string.Concat(Enumerable.Repeat("Mamba reads long documents byte by byte. ", 20));

        using var noGrad = no_grad();
        using var whole = encoder.Encode([text]);
        using var streamed = encoder.EncodeStreaming(text, chunk: 97);

        double worst = (whole - streamed).abs().max().item<float>();
        Assert.True(worst < 1e-4, $"largest difference {worst:E2}");
    }

    [Fact]
    public void Padding_does_not_change_an_embedding()
    {
        random.manual_seed(2);
        using var encoder = Tiny();
        encoder.eval();
        using var noGrad = no_grad();

        using var alone = encoder.Encode(["short text"]);
        using var batched = encoder.Encode(["short text", "a much longer text that forces padding on the first row"]);

        Assert.True((alone[0] - batched[0]).abs().max().item<float>() < 1e-5);
        Assert.Equal(1, batched.norm(1).mean().item<float>(), 4);
    }

    [Fact]
    public void Contrastive_training_lowers_the_loss()
    {
        random.manual_seed(3);
        using var encoder = Tiny();
        var topics = new[] { "oil prices", "bank rates", "steel output", "grain harvest", "car sales", "gold mining", "rail freight", "wine exports" };
        var triples = topics.Select(t => new TrainingTriple($"news on {t}", $"Report: {t} changed sharply this week according to officials.", null)).ToList();
        double Loss() { using var noGrad = no_grad(); encoder.eval(); using var l = ContrastiveTraining.Loss(encoder, triples, 0.05); return l.item<float>(); }
        double before = Loss();

        ContrastiveTraining.Fit(TrainingRun.Detached(), "encoder", encoder, _ => triples, new RetrievalTrainingOptions { Epochs = 60, BatchSize = 8, LearningRate = 3e-3 }, 0.05, null, CancellationToken.None);

        double after = Loss();
        Assert.True(after < before * 0.5, $"InfoNCE {before:F3} before, {after:F3} after");
    }

    [Fact]
    public void Next_byte_pretraining_lowers_the_language_model_loss()
    {
        random.manual_seed(4);
        using var encoder = Tiny();
        string[] texts = [.. Enumerable.Range(0, 40).Select(i => $"The address of year {1900 + i} spoke of the union, the budget and the army.")];
        var probe = tensor(encoder.Tokenize(texts[0], 64)).unsqueeze(0);
        double Loss() { using var noGrad = no_grad(); using var l = encoder.LanguageModelLoss(probe); return l.item<float>(); }
        double before = Loss();

        ContrastiveTraining.Pretrain(TrainingRun.Detached(), "pretrain", encoder, texts, steps: 60, window: 48, new RetrievalTrainingOptions { BatchSize = 8, LearningRate = 3e-3 }, CancellationToken.None);

        double after = Loss();
        Assert.True(after < before - 1.5, $"next-byte loss {before:F3} before, {after:F3} after");
    }

    [Fact]
    public async Task The_vector_index_finds_the_nearest_and_survives_a_round_trip()
    {
        var index = new VectorIndex(3);
        index.Add(["x", "y"], [1, 0, 0, 0, 1, 0]);
        index.Add(["z"], [0.6f, 0.8f, 0]);
        string path = Path.Combine(Path.GetTempPath(), $"mamba-index-{Guid.NewGuid():N}.parquet");
        try
        {
            await index.SaveAsync(path, CancellationToken.None);
            var loaded = await VectorIndex.LoadAsync(path, CancellationToken.None);

            var hits = loaded.Search([0, 1, 0], 2);
            Assert.Equal(["y", "z"], hits.Select(h => h.Id));
            Assert.Equal(0.8, hits[1].Score, 5);
            Assert.Throws<ArgumentException>(() => loaded.Add(["x"], [1, 0, 0]));
            File.WriteAllText(path, "not parquet");
            Assert.Contains(path, (await Assert.ThrowsAsync<DataFormatException>(() => VectorIndex.LoadAsync(path, CancellationToken.None))).Message, StringComparison.Ordinal);
        }
        finally { File.Delete(path); }
    }
}
