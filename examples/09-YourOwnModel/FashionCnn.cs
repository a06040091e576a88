using NeuralNet.Torch;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace YourOwnModel;

/// <summary>
/// model.py's <c>FashionCnn</c>, written as the PyTorch class is: the same fields (<c>features</c>,
/// <c>classifier</c>), the same layers in the same order, so <c>print(model)</c>, the state_dict's keys and
/// PyTorch's checkpoints are the same on both sides. Input <c>[N, 1, 28, 28]</c>, output <c>[N, 10]</c> logits.
/// </summary>
/// <remarks>
/// <see cref="ISequentialModule"/> tells the ONNX exporter that <c>forward</c> applies <c>features</c> then
/// <c>classifier</c> and nothing else (the exporter checks that claim on a random batch before it writes a file).
/// </remarks>
public sealed class FashionCnn : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <summary>Creates the model with TorchSharp's initial weights (PyTorch's rules, TorchSharp's generator).</summary>
    public FashionCnn() : base(nameof(FashionCnn))
    {
        features = Sequential(
            Conv2d(1, 16, kernel_size: 3, padding: 1),
            BatchNorm2d(16),
            ReLU(),
            MaxPool2d(2),
            Conv2d(16, 32, kernel_size: 3, padding: 1),
            BatchNorm2d(32),
            ReLU(),
            MaxPool2d(2));
        classifier = Sequential(
            Flatten(),
            Dropout(0.25),
            Linear(32 * 7 * 7, 128),
            ReLU(),
            Linear(128, 10));
        RegisterComponents();
    }

    IReadOnlyList<string> ISequentialModule.SequentialChildren => [nameof(features), nameof(classifier)];

    /// <summary><c>x = self.features(x); return self.classifier(x)</c>.</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return classifier.call(features.call(x)).MoveToOuterDisposeScope();
    }
}
