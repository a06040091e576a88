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

/// <summary>A LeNet written as a user would, without <see cref="ISequentialModule"/>: its forward applies its
/// children in registration order, so the exporter takes it as their chain once a probe forward confirms it.</summary>
internal sealed class UndeclaredLeNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly ReLU relu1;
    private readonly MaxPool2d pool1;
    private readonly Conv2d conv2;
    private readonly ReLU relu2;
    private readonly MaxPool2d pool2;
    private readonly Flatten flatten;
    private readonly Linear fc1;
    private readonly ReLU relu3;
    private readonly Linear fc2;

    public UndeclaredLeNet()
        : base(nameof(UndeclaredLeNet))
    {
        conv1 = Conv2d(1, 6, 5, padding: 2);
        relu1 = ReLU();
        pool1 = MaxPool2d(2);
        conv2 = Conv2d(6, 16, 5);
        relu2 = ReLU();
        pool2 = MaxPool2d(2);
        flatten = Flatten();
        fc1 = Linear(16 * 5 * 5, 84);
        relu3 = ReLU();
        fc2 = Linear(84, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = pool2.call(relu2.call(conv2.call(pool1.call(relu1.call(conv1.call(x))))));
        return fc2.call(relu3.call(fc1.call(flatten.call(features)))).MoveToOuterDisposeScope();
    }
}

/// <summary>Two layers that fit either order, applied in the order opposite to their registration: not their chain.</summary>
internal sealed class ReorderedBlock : Module<Tensor, Tensor>
{
    private readonly Linear first;
    private readonly Linear second;

    public ReorderedBlock(long features)
        : base(nameof(ReorderedBlock))
    {
        first = Linear(features, features);
        second = Linear(features, features);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return first.call(second.call(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Two branches concatenated: children that do not even compose in registration order.</summary>
internal sealed class ConcatBlock : Module<Tensor, Tensor>
{
    private readonly Linear left;
    private readonly Linear right;

    public ConcatBlock(long features)
        : base(nameof(ConcatBlock))
    {
        left = Linear(features, 3);
        right = Linear(features, 5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return cat([left.call(x), right.call(x)], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>An undeclared module with a parameter of its own besides its child: not a chain of its children.</summary>
internal sealed class ScaledBlock : Module<Tensor, Tensor>
{
    private readonly Linear fc;
    private readonly Parameter scale;

    public ScaledBlock(long features)
        : base(nameof(ScaledBlock))
    {
        fc = Linear(features, features);
        scale = new Parameter(ones(features));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (fc.call(x) * scale).MoveToOuterDisposeScope();
    }
}
