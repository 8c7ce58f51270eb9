using Mamba.Core.Blocks;
using Mamba.Core.Models;
using Mamba.Genomics.Tokens;
using static TorchSharp.torch;

namespace Mamba.Genomics.Training;

/// <summary>Autoregressive sampling from a causal model, one recurrent step per base.</summary>
public static class Sampling
{
    /// <summary>
    /// <paramref name="length"/> bases sampled after BOS and <paramref name="prompt"/> with softmax temperature
    /// <paramref name="temperature"/>, only A/C/G/T allowed; deterministic for a seed. Returns the sampled bases
    /// (without the prompt).
    /// </summary>
    public static string Sample(TokenModel model, int[] prompt, int length, double temperature, int seed, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        model.eval();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        var output = new int[length];
        var context = new long[prompt.Length + 1];
        context[0] = NucleotideTokenizer.Bos;
        for (int i = 0; i < prompt.Length; i++) context[i + 1] = prompt[i];
        using var prompted = tensor(context).unsqueeze(0);
        var (logits, state) = model.Prefill(prompted);
        var last = logits[0, -1];
        logits.Dispose();
        for (int i = 0; i < length; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var bases = last[NucleotideTokenizer.A..(NucleotideTokenizer.A + 4)] / temperature;
            int next = NucleotideTokenizer.A + (int)multinomial(nn.functional.softmax(bases, 0), 1, generator: generator).item<long>();
            output[i] = next;
            var (stepLogits, nextState) = model.Step(tensor(new long[] { next }), state);
            state.Dispose();
            foreach (var layer in nextState.Layers) layer.MoveToOuterDisposeScope();
            state = nextState;
            last.Dispose();
            last = stepLogits[0].MoveToOuterDisposeScope();
        }
        last.Dispose();
        state.Dispose();
        return NucleotideTokenizer.Decode(output);
    }
}
