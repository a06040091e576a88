using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>UpConvNet</c>: strided, transposed and grouped convolutions. Input <c>[N, 1, 28, 28]</c> ->
/// Conv2d(1, 8, 3, stride 2, padding 1) -> ReLU -> ConvTranspose2d(8, 4, 2, stride 2) -> ReLU -> Conv2d(4, 4, 5,
/// stride 4, groups 2, no bias) -> ReLU -> flatten -> Linear(144, 10).</summary>
public sealed class UpConvNet : Module<Tensor, Tensor>
{
    private readonly Sequential features;
    private readonly Flatten flatten;
    private readonly Linear fc;

    public UpConvNet() : base(TorchRuntime.EnsureInitialized(nameof(UpConvNet)))
    {
        features = Sequential(
            Conv2d(1, 8, 3, stride: 2, padding: 1), ReLU(),
            ConvTranspose2d(8, 4, 2, stride: 2), ReLU(),
            Conv2d(4, 4, 5, stride: 4, groups: 2, bias: false), ReLU());
        flatten = Flatten();
        fc = Linear(4 * 6 * 6, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc.call(flatten.call(features.call(x))).MoveToOuterDisposeScope();
    }
}
