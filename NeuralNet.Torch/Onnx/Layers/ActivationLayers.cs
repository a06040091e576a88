using NeuralNet.Torch.Activations;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Element-wise activations and softmax, each as the ONNX operator of the same definition or as the exact
/// formula libtorch evaluates (GELU through <c>Erf</c> or <c>Tanh</c>, Softplus with its threshold).</summary>
internal static class ActivationLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<ReLU>((_, layer) => layer.Node("Relu", [layer.Input])),
        LayerMapping.For<Sigmoid>((_, layer) => layer.Node("Sigmoid", [layer.Input])),
        LayerMapping.For<Tanh>((_, layer) => layer.Node("Tanh", [layer.Input])),
        LayerMapping.For<Softmax>((softmax, layer) => AlongDimension("Softmax", softmax.dim, layer)),
        LayerMapping.For<LogSoftmax>((softmax, layer) => AlongDimension("LogSoftmax", softmax.dim, layer)),
        LayerMapping.For<BinaryStep>((_, layer) => BinaryStep(layer)),
        LayerMapping.For<GELU>(Gelu),
        LayerMapping.For<SiLU>((_, layer) => layer.Node("Mul", [layer.Input, layer.Node("Sigmoid", [layer.Input])])),
        LayerMapping.For<LeakyReLU>((relu, layer) => layer.Node("LeakyRelu", [layer.Input], GraphWriter.Float("alpha", relu.negative_slope))),
        LayerMapping.For<ELU>((elu, layer) => layer.Node("Elu", [layer.Input], GraphWriter.Float("alpha", elu.alpha))),
        LayerMapping.For<Softplus>(Softplus),
        LayerMapping.For<Hardtanh>(Hardtanh),
        LayerMapping.For<ReLU6>((_, layer) => Clip(0, 6, layer)),
    ];

    // Opset 13+ Softmax and LogSoftmax normalise along the one axis given, as torch's softmax(x, dim) does.
    private static string AlongDimension(string op, long dim, LayerContext layer)
    {
        if (dim < -layer.Rank || dim >= layer.Rank)
        {
            throw layer.Misfit($"(dim={dim}) works along a dimension of a rank-{Math.Max(dim + 1, -dim)} input");
        }
        return layer.Node(op, [layer.Input], GraphWriter.Int("axis", dim));
    }

    // The document's step, exactly: (x >= 0) as float gives 1 for x >= 0 (-0.0 and +inf too) and 0 for x < 0
    // (-inf too); x >= 0 is false for NaN, so Where(IsNaN(x), x, step) puts NaN back.
    private static string BinaryStep(LayerContext layer)
    {
        var atLeastZero = layer.Node("GreaterOrEqual", [layer.Input, layer.Scalar(0)]);
        var step = layer.Node("Cast", [atLeastZero], GraphWriter.Int("to", (long)Proto.TensorProto.Types.DataType.Float));
        return layer.Node("Where", [layer.Node("IsNaN", [layer.Input]), layer.Input, step]);
    }

    // libtorch: none: x * 0.5 * (1 + erf(x / sqrt(2))); tanh: 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
    private static string Gelu(GELU gelu, LayerContext layer)
    {
        var x = layer.Input;
        string inner;
        if (gelu.approximate == GELU.Approximate.none)
        {
            inner = layer.Node("Erf", [layer.Node("Div", [x, layer.Scalar(Math.Sqrt(2))])]);
        }
        else
        {
            var cube = layer.Node("Mul", [layer.Node("Mul", [x, x]), x]);
            var sum = layer.Node("Add", [x, layer.Node("Mul", [cube, layer.Scalar(0.044715)])]);
            inner = layer.Node("Tanh", [layer.Node("Mul", [sum, layer.Scalar(Math.Sqrt(2 / Math.PI))])]);
        }
        var half = layer.Node("Mul", [x, layer.Scalar(0.5)]);
        return layer.Node("Mul", [half, layer.Node("Add", [inner, layer.Scalar(1)])]);
    }

    // libtorch: x if x * beta > threshold, else log1p(exp(x * beta)) / beta. ONNX Softplus is ln(exp(x) + 1) alone,
    // which overflows where libtorch returns x; Where keeps libtorch's linear branch.
    private static string Softplus(Softplus softplus, LayerContext layer)
    {
        var x = layer.Input;
        var scaled = softplus.beta == 1 ? x : layer.Node("Mul", [x, layer.Scalar(softplus.beta)]);
        var smooth = layer.Node("Softplus", [scaled]);
        if (softplus.beta != 1)
        {
            smooth = layer.Node("Div", [smooth, layer.Scalar(softplus.beta)]);
        }
        var linear = layer.Node("Greater", [scaled, layer.Scalar(softplus.threshold)]);
        return layer.Node("Where", [linear, x, smooth]);
    }

    // Checked, not assumed: TorchSharp 0.107's Tensor.hardtanh (behind Hardtanh(inplace: false)) drops libtorch's
    // result and returns its input unclipped, and a graph must compute what the module computes.
    private static string Hardtanh(Hardtanh hardtanh, LayerContext layer)
    {
        if (!(hardtanh.min_val <= hardtanh.max_val))
        {
            throw layer.Refuse($"min_val={hardtanh.min_val}, max_val={hardtanh.max_val}",
                "the range is empty; ONNX's Clip leaves the result of min > max undefined");
        }
        float min = (float)hardtanh.min_val, max = (float)hardtanh.max_val;
        using (NewDisposeScope())
        using (no_grad())
        {
            var clipped = hardtanh.forward(tensor(new[] { min - Math.Abs(min) - 1, max + Math.Abs(max) + 1 })).data<float>().ToArray();
            if (!clipped.SequenceEqual([min, max]))
            {
                throw layer.Refuse($"inplace={hardtanh.inplace}",
                    "its forward returns its input unclipped in this TorchSharp version (Tensor.hardtanh drops libtorch's result), " +
                    "so no graph computes both PyTorch's Hardtanh and this module; Hardtanh(inplace: true) clips");
            }
        }
        return Clip(hardtanh.min_val, hardtanh.max_val, layer);
    }

    private static string Clip(double min, double max, LayerContext layer) => layer.Node("Clip", [layer.Input, layer.Scalar(min), layer.Scalar(max)]);
}
