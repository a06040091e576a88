using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>BatchNormCnn</c>: Conv2d (no bias), BatchNorm2d, ReLU, MaxPool2d twice, Dropout(0.25),
/// flatten, Linear(1568, 64), ReLU, Dropout(0.5), Linear(64, 10). Input <c>[N, 1, 28, 28]</c>. The dropout rates can
/// be changed (zoo.py's <c>feature_dropout</c>, <c>classifier_dropout</c>): 0 takes randomness out of training.</summary>
public sealed class BatchNormCnn : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Sequential features;
    private readonly Flatten flatten;
    private readonly Sequential classifier;

    public BatchNormCnn(double featureDropout = 0.25, double classifierDropout = 0.5) : base(TorchRuntime.EnsureInitialized(nameof(BatchNormCnn)))
    {
        features = Sequential(
            Conv2d(1, 16, 3, padding: 1, bias: false), BatchNorm2d(16), ReLU(), MaxPool2d(2),
            Conv2d(16, 32, 3, padding: 1, bias: false), BatchNorm2d(32), ReLU(), MaxPool2d(2),
            Dropout(featureDropout));
        flatten = Flatten();
        classifier = Sequential(Linear(32 * 7 * 7, 64), ReLU(), Dropout(classifierDropout), Linear(64, 10));
        RegisterComponents();
    }

    IReadOnlyList<string> ISequentialModule.SequentialChildren => [nameof(features), nameof(flatten), nameof(classifier)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return classifier.call(flatten.call(features.call(x))).MoveToOuterDisposeScope();
    }
}
