using Mamba.Genomics.Baselines;
using Mamba.Genomics.Tokens;

namespace Mamba.Genomics.Tests;

public sealed class TokenizerAndMarkovTests
{
    [Fact]
    public void Reverse_complement_on_tokens_matches_the_strings()
    {
        var tokens = NucleotideTokenizer.Encode("AACGTN");

        var reverse = NucleotideTokenizer.ReverseComplement(tokens);

        Assert.Equal("NACGTT", NucleotideTokenizer.Decode(reverse));
        Assert.Equal(tokens, NucleotideTokenizer.ReverseComplement(reverse));
        Assert.Equal(NucleotideTokenizer.Mask, NucleotideTokenizer.Complement(NucleotideTokenizer.Mask));
    }

    [Fact]
    public void Order_zero_scores_the_base_entropy()
    {
        string bases = "AAAACCGT";   // p = 1/2, 1/4, 1/8, 1/8: entropy 1.75 bits

        var (bits, scored) = MarkovModel.Fit(bases, 0, 1e-9).Evaluate(bases);

        Assert.Equal(8, scored);
        Assert.Equal(1.75, bits, 6);
    }

    [Fact]
    public void A_periodic_sequence_selects_a_context_long_enough_to_predict_it()
    {
        string unit = "ACGGTCAT";
        string train = string.Concat(Enumerable.Repeat(unit, 200)), validation = string.Concat(Enumerable.Repeat(unit, 20));

        var (model, bits) = MarkovModel.SelectOrder(train, validation, maxOrder: 4, alpha: 0.01);

        // One base of context is ambiguous (G and T recur), two determine the next base.
        Assert.True(model.Order >= 2, $"chose order {model.Order}");
        Assert.True(bits < 0.01, $"{bits} bits per base");
    }

    [Fact]
    public void N_breaks_the_context_and_is_not_scored()
    {
        var model = MarkovModel.Fit("ACGTACGT", 2, 1);

        Assert.Equal(6, model.Evaluate("ACGNNACG").Bases);
    }
}
