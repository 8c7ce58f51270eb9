using static TorchSharp.torch;

namespace MambaPlugin1.Tests;

public sealed class SymmetricPercentageErrorTests
{
    [Fact]
    public void Matches_a_hand_computed_case()
    {
        // Terms: 200·|110−100|/210 = 9.5238…, 200·|50−100|/150 = 66.666…, both zero → 0.
        using var predictions = tensor(new[] { 110.0, 50.0, 0.0 });
        using var targets = tensor(new[] { 100.0, 100.0, 0.0 });

        double smape = SymmetricPercentageError.Compute(predictions, targets);

        Assert.Equal((200.0 * 10 / 210 + 200.0 * 50 / 150) / 3, smape, 1e-9);
    }

    [Fact]
    public void Perfect_forecasts_score_zero()
    {
        using var values = tensor(new[] { 1f, -2f, 3f });

        Assert.Equal(0, SymmetricPercentageError.Compute(values, values), 1e-9);
    }

    [Fact]
    public void Different_shapes_are_refused()
    {
        using var a = zeros(3);
        using var b = zeros(4);

        Assert.Throws<ArgumentException>(() => SymmetricPercentageError.Compute(a, b));
    }
}
