using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using static TorchSharp.torch;

namespace Mamba.Genomics.Tests;

[Collection(GlobalRandomTests.Name)]
public sealed class ModelTests
{
    private static Tensor RandomTokens(int batch, int length, int seed)
    {
        var random = new Random(seed);
        return tensor(Enumerable.Range(0, batch * length).Select(_ => (long)(random.Next(10) == 0 ? NucleotideTokenizer.Unknown : NucleotideTokenizer.A + random.Next(4))).ToArray()).view(batch, length);
    }

    [Theory]
    [InlineData("BM,BM")]
    [InlineData("BM,BA")]
    public void Rcps_logits_of_the_reverse_complement_are_the_complement_mapped_reversed_logits(string layers)
    {
        using var model = PretrainingTests.Tiny(Objective.Masked, layers, rcps: true);
        model.eval();
        using var tokens = RandomTokens(2, 37, 4);
        using var complement = tensor(Enumerable.Range(0, NucleotideTokenizer.VocabularySize).Select(t => (long)NucleotideTokenizer.Complement(t)).ToArray());

        using var logits = model.forward(tokens);
        using var reverse = model.forward(DnaLanguageModel.ReverseComplement(tokens));
        using var expected = logits.flip(1).index_select(-1, complement);

        double gap = (reverse - expected).abs().max().item<float>();
        double scale = logits.abs().max().item<float>();
        Assert.True(gap <= 1e-5 * Math.Max(1, scale), $"max |f(rc x) − rc(f(x))| = {gap:E2} (logits up to {scale:F3})");
    }

    [Fact]
    public void Without_rcps_the_reverse_complement_is_not_mapped_exactly()
    {
        using var model = PretrainingTests.Tiny(Objective.Masked, "BM,BM");
        model.eval();
        using var tokens = RandomTokens(2, 37, 4);
        using var complement = tensor(Enumerable.Range(0, NucleotideTokenizer.VocabularySize).Select(t => (long)NucleotideTokenizer.Complement(t)).ToArray());

        using var logits = model.forward(tokens);
        using var reverse = model.forward(DnaLanguageModel.ReverseComplement(tokens));

        Assert.True((reverse - logits.flip(1).index_select(-1, complement)).abs().max().item<float>() > 1e-3, "the equivariance test must be able to fail");
    }

    [Fact]
    public void Rcps_pooled_features_are_strand_invariant()
    {
        using var model = PretrainingTests.Tiny(Objective.Masked, "BM,BM", rcps: true);
        model.eval();
        using var tokens = RandomTokens(3, 50, 8);

        using var forwards = model.Features(tokens).mean([1]);
        using var reverse = model.Features(DnaLanguageModel.ReverseComplement(tokens)).mean([1]);

        Assert.True((forwards - reverse).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Reverse_complement_of_token_tensors_matches_the_tokenizer()
    {
        var bases = NucleotideTokenizer.Encode("AACGTNGT");
        using var tokens = tensor(bases.Select(t => (long)t).ToArray()).unsqueeze(0);

        var reversed = DnaLanguageModel.ReverseComplement(tokens).data<long>().Select(t => (int)t).ToArray();

        Assert.Equal(NucleotideTokenizer.ReverseComplement(bases), reversed);
    }

    [Theory]
    [InlineData(Objective.Causal, "M1,BM", false, "causal")]
    [InlineData(Objective.Masked, "M2,M2", false, "masked")]
    [InlineData(Objective.Causal, "M1,M1", true, "RCPS")]
    [InlineData(Objective.Causal, "M2,M2,M2,A", false, "attentionHeads")]
    public void Layers_that_do_not_fit_the_objective_are_refused(Objective objective, string layers, bool rcps, string named)
    {
        var spec = new DnaModelSpec(objective, layers, ModelDim: 18, StateSize: 4, AttentionHeads: 4, rcps);

        var error = Assert.Throws<ArgumentException>(spec.Validate);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hybrid_causal_model_streams_and_a_bidirectional_one_refuses()
    {
        using var hybrid = PretrainingTests.Tiny(Objective.Causal, "M2,M2,A");
        using var bidirectional = PretrainingTests.Tiny(Objective.Masked, "BM");

        Assert.NotNull(hybrid.Causal);
        Assert.Contains("cannot stream", Assert.Throws<InvalidOperationException>(() => bidirectional.Causal).Message, StringComparison.Ordinal);
    }
}
