using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>ResidualNet</c>: stem (Conv2d, BatchNorm2d, ReLU), one <see cref="ResidualBlock"/>,
/// AdaptiveAvgPool2d(1), flatten, Linear(8, 10). Its own forward is a chain of its children (declared), but the
/// block's is not.</summary>
public sealed class ResidualNet : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Sequential stem;
    private readonly ResidualBlock block;
    private readonly AdaptiveAvgPool2d pool;
    private readonly Flatten flatten;
    private readonly Linear fc;

    public ResidualNet() : base(TorchRuntime.EnsureInitialized(nameof(ResidualNet)))
    {
        stem = Sequential(Conv2d(1, 8, 3, padding: 1), BatchNorm2d(8), ReLU());
        block = new ResidualBlock(8);
        pool = AdaptiveAvgPool2d(1);
        flatten = Flatten();
        fc = Linear(8, 10);
        RegisterComponents();
    }

    IReadOnlyList<string> ISequentialModule.SequentialChildren => [nameof(stem), nameof(block), nameof(pool), nameof(flatten), nameof(fc)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc.call(flatten.call(pool.call(block.call(stem.call(x))))).MoveToOuterDisposeScope();
    }
}
