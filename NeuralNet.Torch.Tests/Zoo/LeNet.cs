using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>LeNet</c>: features (two Conv2d + ReLU + MaxPool2d), flatten, classifier (three Linear).
/// Input <c>[N, 1, 28, 28]</c>, output <c>[N, 10]</c>.</summary>
public sealed class LeNet : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Sequential features;
    private readonly Flatten flatten;
    private readonly Sequential classifier;

    public LeNet() : base(TorchRuntime.EnsureInitialized(nameof(LeNet)))
    {
        features = Sequential(
            Conv2d(1, 6, 5, padding: 2), ReLU(), MaxPool2d(2),
            Conv2d(6, 16, 5), ReLU(), MaxPool2d(2));
        flatten = Flatten();
        classifier = Sequential(Linear(16 * 5 * 5, 120), ReLU(), Linear(120, 84), ReLU(), Linear(84, 10));
        RegisterComponents();
    }

    IReadOnlyList<string> ISequentialModule.SequentialChildren => [nameof(features), nameof(flatten), nameof(classifier)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return classifier.call(flatten.call(features.call(x))).MoveToOuterDisposeScope();
    }
}
