using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Onnx;

// Custom modules for the export tests. Field names are the module keys, as in PyTorch.
#pragma warning disable IDE1006, SA1300 // naming: these names ARE the modules' keys

/// <summary>A custom block that declares (truthfully) that forward applies its children in order.</summary>
internal sealed class DeclaredBlock : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Linear fc;
    private readonly Module<Tensor, Tensor> act;

    public DeclaredBlock(long inFeatures, long outFeatures, Module<Tensor, Tensor> activation)
        : base(nameof(DeclaredBlock))
    {
        fc = Linear(inFeatures, outFeatures);
        act = activation;
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(fc), nameof(act)];

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc.forward(x);
        return act.forward(hidden);
    }
}

/// <summary>Conv2d (3x3, padding 1), BatchNorm2d, ReLU, declared sequential.</summary>
internal sealed class ConvBlock : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly ReLU relu;

    public ConvBlock(long inChannels, long outChannels)
        : base(nameof(ConvBlock))
    {
        conv = Conv2d(inChannels, outChannels, 3, padding: 1);
        bn = BatchNorm2d(outChannels);
        relu = ReLU();
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(conv), nameof(bn), nameof(relu)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return relu.forward(bn.forward(conv.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>A residual block that falsely declares its forward sequential.</summary>
internal sealed class ResidualBlock : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Linear fc;

    public ResidualBlock(long features)
        : base(nameof(ResidualBlock))
    {
        fc = Linear(features, features);
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(fc)];

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc.forward(x);
        return x + hidden;
    }
}

/// <summary>relu(x + bn(conv(x))): a residual block that falsely declares its forward the chain conv, bn, relu.</summary>
internal sealed class DeclaredResidualBlock : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;
    private readonly ReLU relu;

    public DeclaredResidualBlock(long channels)
        : base(nameof(DeclaredResidualBlock))
    {
        conv = Conv2d(channels, channels, 3, padding: 1);
        bn = BatchNorm2d(channels);
        relu = ReLU();
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(conv), nameof(bn), nameof(relu)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return relu.forward(x + bn.forward(conv.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>A custom module with children that declares nothing about its forward.</summary>
internal sealed class UndeclaredBlock : Module<Tensor, Tensor>
{
    private readonly Linear fc;

    public UndeclaredBlock(long features)
        : base(nameof(UndeclaredBlock))
    {
        fc = Linear(features, features);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc.forward(x);
}

/// <summary>The document's model with a Dropout at <c>linear_relu_stack.3</c>.</summary>
internal sealed class DropoutNetwork : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Flatten flatten;
    private readonly Sequential linear_relu_stack;

    public DropoutNetwork()
        : base(nameof(DropoutNetwork))
    {
        flatten = Flatten();
        linear_relu_stack = Sequential(Linear(784, 16), ReLU(), Linear(16, 16), Dropout(0.5), Linear(16, 10));
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(flatten), nameof(linear_relu_stack)];

    public override Tensor forward(Tensor x)
    {
        using var flat = flatten.forward(x);
        return linear_relu_stack.forward(flat);
    }
}
#pragma warning restore IDE1006, SA1300
