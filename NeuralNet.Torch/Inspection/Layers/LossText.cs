using TorchSharp;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/loss.py</c>: losses have no <c>extra_repr</c> (<c>CrossEntropyLoss()</c>), which is
/// what a model that keeps its loss as a field prints.</summary>
internal static class LossText
{
    public static void AddTo(LayerTextTable table) => table.AddNoSettings(
        typeof(Loss<,,>), typeof(Loss<,,,>), typeof(Loss<,,,,>));
}
