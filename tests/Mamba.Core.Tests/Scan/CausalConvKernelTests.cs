using Mamba.Core.Scan.Cpu;
using TorchSharp;
using static Mamba.Core.Tests.Scan.ScanCases;
using static TorchSharp.torch;

namespace Mamba.Core.Tests.Scan;

public sealed class CausalConvKernelTests
{
    private const double Fp32Tolerance = 1e-5;

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        foreach (int width in new[] { 128, 256, 512 })
            foreach (var name in Shapes.Keys)
                data.Add(width, name);
        return data;
    }

    private static readonly Dictionary<string, (long Batch, long Channels, long Length, bool Bias, bool Silu)> Shapes = new()
    {
        ["21 channels (a vector tail), L=300 over two time blocks, bias and silu"] = (2, 21, 300, true, true),
        ["L=2, shorter than the kernel, no bias, no activation"] = (1, 21, 2, false, false),
        ["16 channels, L=257, silu without bias"] = (3, 16, 257, false, true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Time_major_kernel_matches_libtorch_conv1d_forward_and_every_gradient(int width, string caseName)
    {
        var (batch, channels, length, hasBias, silu) = Shapes[caseName];
        const long kernel = 4;
        using var scope = NewDisposeScope();
        var g = new Generator(31);
        var values = randn([batch, length, channels], generator: g);                 // (B, L, C)
        var weightValues = randn([channels, 1, kernel], generator: g) * 0.5;
        var biasValues = randn([channels], generator: g);
        var upstream = randn([batch, channels, length], generator: g);

        // Reference: libtorch's depthwise conv1d on a channel-major copy, cut to the causal part.
        var x = values.transpose(1, 2).contiguous().requires_grad_();
        var w = weightValues.clone().requires_grad_();
        var b = hasBias ? biasValues.clone().requires_grad_() : null;
        var reference = nn.functional.conv1d(x, w, b, padding: kernel - 1, groups: channels)[.., .., ..(int)length];
        if (silu) reference = nn.functional.silu(reference);
        (reference * upstream).sum().backward();

        // Kernel: x as the Mamba block passes it, the second half of a (B, L, 2C) projection, transposed.
        var projection = cat([zeros_like(values), values], dim: -1).requires_grad_();
        var xView = projection[.., .., (int)channels..].transpose(1, 2);
        var wk = weightValues.clone().requires_grad_();
        var bk = hasBias ? biasValues.clone().requires_grad_() : null;
        var output = CausalConvFunction.Run(xView, wk, bk, silu, (SimdWidth)width);
        (output * upstream).sum().backward();

        string what = $"{width}-bit kernel on '{caseName}'";
        Assert.True(RelativeError(output, reference) <= Fp32Tolerance, $"{what}: output differs from conv1d");
        Assert.True(RelativeError(projection.grad![.., .., (int)channels..].transpose(1, 2), x.grad!) <= Fp32Tolerance, $"{what}: grad x differs");
        Assert.True(projection.grad![.., .., ..(int)channels].abs().max().item<float>() == 0, $"{what}: a gradient reached the other half of the projection");
        Assert.True(RelativeError(wk.grad!, w.grad!) <= Fp32Tolerance, $"{what}: grad weight differs");
        if (hasBias) Assert.True(RelativeError(bk!.grad!, b!.grad!) <= Fp32Tolerance, $"{what}: grad bias differs");
        Assert.True(output.stride(1) == 1, $"{what}: the output is not time-major");
    }

    [Fact]
    public void Without_autograd_the_kernel_gives_the_same_output()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(32);
        var x = randn([2, 40, 24], generator: g).transpose(1, 2);                    // (B, C=24, L=40), time-major
        var w = randn([24, 1, 4], generator: g);
        var bias = randn([24], generator: g);

        var reference = nn.functional.silu(nn.functional.conv1d(x.contiguous(), w, bias, padding: 3, groups: 24)[.., .., ..40]);
        using var noGrad = no_grad();
        var output = CausalConvFunction.Run(x, w, bias, silu: true, SimdWidths.Widest);

        Assert.True(RelativeError(output, reference) <= Fp32Tolerance, "the kernel's output without autograd differs from conv1d");
    }
}
