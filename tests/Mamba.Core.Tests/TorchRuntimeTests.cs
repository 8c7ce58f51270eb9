using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Tests;

/// <summary>Pins that the libtorch shipped to the test host loads on this machine and computes.</summary>
public sealed class TorchRuntimeTests
{
    [Fact]
    public void Matmul_and_backward_give_the_analytic_gradient()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]).requires_grad_();
        var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);

        var loss = a.matmul(b).sum();
        loss.backward();

        // d/da sum(a·b) = 1·bᵀ: each row of the gradient is the row sums of b.
        Assert.Equal(134f, loss.item<float>());
        Assert.Equal(new float[] { 11, 15, 11, 15 }, a.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Random_normal_samples_have_unit_scale()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        var x = randn(100_000);

        Assert.InRange(x.mean().item<float>(), -0.02f, 0.02f);
        Assert.InRange(x.std().item<float>(), 0.98f, 1.02f);
    }
}
