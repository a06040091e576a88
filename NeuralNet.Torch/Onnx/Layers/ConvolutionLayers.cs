using TorchSharp;
using TorchSharp.Modules;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary><c>Conv1d</c> and <c>Conv2d</c> as ONNX <c>Conv</c>: stride, zero padding (explicit, or <c>Padding.Same</c>
/// / <c>Padding.Valid</c> as libtorch computes them), dilation, groups and the optional bias, exactly.</summary>
internal static class ConvolutionLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<Conv1d>((conv, layer) => Convolution(conv, layer, 1)),
        LayerMapping.For<Conv2d>((conv, layer) => Convolution(conv, layer, 2)),
    ];

    private static string Convolution(Convolution conv, LayerContext layer, int spatial)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            throw layer.Refuse($"padding_mode={conv.padding_mode}",
                "ONNX's Conv pads with zeros only, and the exporter writes no separate Pad node");
        }
        // forward uses the weight as it is: [out_channels, in_channels / groups, kernel...].
        var weightShape = conv.weight.shape;
        var kernel = weightShape.Skip(2).ToArray();
        var inChannels = weightShape[1] * conv.groups;
        if (layer.Shape.Count != spatial + 1 || layer.Shape[0] != inChannels)
        {
            throw layer.Misfit($"takes [batch, {inChannels}{string.Concat(Enumerable.Repeat(", *", spatial))}] ({inChannels} channels)");
        }
        var stride = Settings.PerDimension(layer, "stride", conv.stride, spatial, minimum: 1);
        var dilation = Settings.PerDimension(layer, "dilation", conv.dilation, spatial, minimum: 1);
        var (begin, end) = Padding(conv, layer, kernel, stride, dilation, spatial);

        var output = new List<long> { weightShape[0] };
        for (var i = 0; i < spatial; i++)
        {
            var size = (layer.Shape[i + 1] + begin[i] + end[i] - dilation[i] * (kernel[i] - 1) - 1) / stride[i] + 1;
            if (size < 1)
            {
                throw layer.Misfit($"needs at least {dilation[i] * (kernel[i] - 1) + 1 - begin[i] - end[i]} elements in spatial dimension {i + 1} (kernel {kernel[i]}, dilation {dilation[i]}, padding {begin[i]}+{end[i]})");
            }
            output.Add(size);
        }

        var weight = layer.Parameter("weight", conv.weight);
        string[] inputs = conv.bias is null ? [layer.Input, weight] : [layer.Input, weight, layer.Parameter("bias", conv.bias)];
        var result = layer.Node("Conv", inputs,
            GraphWriter.Ints("kernel_shape", kernel),
            GraphWriter.Ints("strides", stride),
            GraphWriter.Ints("pads", begin.Concat(end)),
            GraphWriter.Ints("dilations", dilation),
            GraphWriter.Int("group", conv.groups));
        layer.Reshape(output);
        return result;
    }

    // Padding.Same pads dilation * (kernel - 1) in all, the odd element at the end, as libtorch's _convolution_same.
    private static (long[] Begin, long[] End) Padding(Convolution conv, LayerContext layer, long[] kernel, long[] stride, long[] dilation, int spatial)
    {
        if (conv.padding_type == TorchSharp.Padding.Same)
        {
            if (stride.Any(s => s != 1))
            {
                throw layer.Refuse($"padding=Same with stride=[{string.Join(", ", stride)}]", "libtorch computes 'same' padding for stride 1 only");
            }
            var total = Enumerable.Range(0, spatial).Select(i => dilation[i] * (kernel[i] - 1)).ToArray();
            return (total.Select(t => t / 2).ToArray(), total.Select(t => t - t / 2).ToArray());
        }
        if (conv.padding_type == TorchSharp.Padding.Valid || conv.padding is null)
        {
            return (new long[spatial], new long[spatial]);
        }
        var padding = Settings.PerDimension(layer, "padding", conv.padding, spatial, minimum: 0);
        return (padding, padding);
    }
}
