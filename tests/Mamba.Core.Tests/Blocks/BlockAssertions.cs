using Mamba.Core.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Blocks;

internal static class BlockAssertions
{
    public static double RelativeError(Tensor actual, Tensor expected) =>
        Scan.ScanCases.RelativeError(actual, expected);

    /// <summary>Runs the mixer token by token from a zero state and asserts it matches the full-sequence forward.</summary>
    public static void StepMatchesForward(IRecurrentMixer mixer, Tensor hidden, double tolerance = 1e-5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (full, _) = mixer.Prefill(hidden, null);
        var state = mixer.NewState(hidden.shape[0]);
        var steps = new List<Tensor>();
        for (long t = 0; t < hidden.shape[1]; t++)
        {
            var (y, next) = mixer.Step(hidden[.., t], state);
            steps.Add(y);
            state = next;
        }
        double error = RelativeError(stack(steps, dim: 1), full);
        Assert.True(error <= tolerance, $"step-by-step output differs from the full forward: relative error {error:E2}");
    }

    /// <summary>Prefills the first part, steps through the rest, and asserts it matches the full forward.</summary>
    public static void PrefillThenStepsMatchForward(IRecurrentMixer mixer, Tensor hidden, long prompt, double tolerance = 1e-5)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (full, _) = mixer.Prefill(hidden, null);
        var (head, state) = mixer.Prefill(hidden[.., ..(int)prompt], null);
        var pieces = new List<Tensor> { head };
        for (long t = prompt; t < hidden.shape[1]; t++)
        {
            var (y, next) = mixer.Step(hidden[.., t], state);
            pieces.Add(y.unsqueeze(1));
            state = next;
        }
        double error = RelativeError(cat(pieces, dim: 1), full);
        Assert.True(error <= tolerance, $"prefill + steps differ from the full forward: relative error {error:E2}");
    }

    /// <summary>Back-propagates a random projection of the output and asserts every parameter received a non-zero gradient.</summary>
    public static void GradientsReachEveryParameter(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        using var scope = NewDisposeScope();
        var output = module.forward(input);
        (output * randn_like(output)).sum().backward();
        foreach (var (name, parameter) in module.named_parameters())
        {
            Assert.True(parameter.grad is not null, $"no gradient reached {name}");
            Assert.True(parameter.grad.abs().sum().item<float>() > 0, $"the gradient of {name} is zero");
        }
    }
}
