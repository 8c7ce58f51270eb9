using Mamba.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Graphs.Training;

/// <summary>
/// Full-batch node-classification training on the core <see cref="Trainer"/> (one step per epoch), keeping the weights
/// of the epoch with the lowest validation loss and restoring them at the end.
/// </summary>
internal static class FullBatchFit
{
    public static TrainingResult Fit(nn.Module model, Func<int, Tensor> trainingLoss, Func<double> validationLoss, TrainerOptions options, IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        Dictionary<string, Tensor>? best = null;
        double bestLoss = double.PositiveInfinity;
        try
        {
            var result = new Trainer(options).Fit(model, epoch => [epoch], trainingLoss, () =>
            {
                double loss = validationLoss();
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    Dispose(best);
                    best = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
                }
                return loss;
            }, progress, cancellation: cancellation);
            if (best is not null)
            {
                // Copied into the live parameters: load_state_dict may keep the given tensors, which are disposed below.
                using var noGrad = no_grad();
                foreach (var (name, tensor) in model.state_dict()) tensor.copy_(best[name]);
            }
            return result;
        }
        finally
        {
            Dispose(best);
        }
    }

    private static void Dispose(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }
}
