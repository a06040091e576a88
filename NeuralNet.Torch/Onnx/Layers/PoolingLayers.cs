using TorchSharp.Modules;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Max and average pooling (1-d and 2-d) as ONNX <c>MaxPool</c> / <c>AveragePool</c>, and adaptive average
/// pooling as <c>GlobalAveragePool</c> (output size 1) or an exact <c>AveragePool</c> (input sizes multiples of the
/// output sizes).</summary>
internal static class PoolingLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<MaxPool1d>((pool, layer) => Pool(layer, new Window(
            "MaxPool", [pool.kernel_size], [pool.stride ?? pool.kernel_size], [pool.padding ?? 0], [pool.dilation ?? 1], pool.ceil_mode, true, null), 1)),
        LayerMapping.For<MaxPool2d>((pool, layer) => Pool(layer, new Window(
            "MaxPool", pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding ?? [0], pool.dilation ?? [1], pool.ceil_mode, true, null), 2)),
        LayerMapping.For<AvgPool1d>((pool, layer) => Pool(layer, new Window(
            "AveragePool", [pool.kernel_size], [pool.stride ?? pool.kernel_size], [pool.padding ?? 0], [1], pool.ceil_mode, pool.count_include_pad, null), 1)),
        LayerMapping.For<AvgPool2d>((pool, layer) => Pool(layer, new Window(
            "AveragePool", pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding ?? [0], [1], pool.ceil_mode, pool.count_include_pad, pool.divisor_override), 2)),
        LayerMapping.For<AdaptiveAvgPool1d>((pool, layer) => Adaptive(layer, [pool.output_size], 1)),
        LayerMapping.For<AdaptiveAvgPool2d>((pool, layer) => Adaptive(layer, pool.output_size, 2)),
    ];

    /// <summary>A pooling layer's settings as its forward passes them to libtorch (defaults filled in).</summary>
    private sealed record Window(
        string Op, IReadOnlyList<long> Kernel, IReadOnlyList<long> Stride, IReadOnlyList<long> Padding, IReadOnlyList<long> Dilation,
        bool CeilMode, bool CountIncludePad, long? DivisorOverride);

    private static string Pool(LayerContext layer, Window window, int spatial)
    {
        if (window.DivisorOverride is { } divisor)
        {
            throw layer.Refuse($"divisor_override={divisor}", "ONNX's AveragePool divides by the window's size and has no divisor setting");
        }
        RequireSpatialInput(layer, spatial);
        var kernel = Settings.PerDimension(layer, "kernel_size", window.Kernel, spatial, minimum: 1);
        var stride = Settings.PerDimension(layer, "stride", window.Stride, spatial, minimum: 1);
        var padding = Settings.PerDimension(layer, "padding", window.Padding, spatial, minimum: 0);
        var dilation = Settings.PerDimension(layer, "dilation", window.Dilation, spatial, minimum: 1);

        var output = new List<long> { layer.Shape[0] };
        var sizes = new List<(long Floor, long Ceil, long Torch)>();
        for (var i = 0; i < spatial; i++)
        {
            var extent = dilation[i] * (kernel[i] - 1) + 1;
            // libtorch's own limit (pooling_shape_check): max pooling pads at most half the dilated window, average pooling half the kernel.
            var padLimit = (window.Op == "MaxPool" ? extent : kernel[i]) / 2;
            if (padding[i] > padLimit)
            {
                throw layer.Refuse($"padding={padding[i]}", $"libtorch allows at most {padLimit} (half the window) for kernel_size={kernel[i]}");
            }
            var size = OutputSizes(layer.Shape[i + 1], extent, stride[i], padding[i], window.CeilMode);
            if (size.Torch < 1)
            {
                throw layer.Misfit($"needs at least {extent - 2 * padding[i]} elements in spatial dimension {i + 1} (window {extent}, padding {padding[i]})");
            }
            sizes.Add(size);
            output.Add(size.Torch);
        }
        // ONNX's one ceil_mode flag must give libtorch's size in every dimension: floor mode where ceil_mode adds no
        // window, ceil mode where it adds one (libtorch also drops a last window that would start in the end padding,
        // which ONNX's ceil mode keeps: a dimension where that happens needs floor mode).
        var ceil = sizes.Any(z => z.Torch != z.Floor);
        if (ceil && sizes.Any(z => z.Torch != z.Ceil))
        {
            throw layer.Refuse("ceil_mode=True on this input",
                $"it adds a window in one spatial dimension and drops the one starting in the end padding in another (output {string.Join("x", output.Skip(1))}), " +
                "which ONNX's single ceil_mode cannot express");
        }

        var attributes = new List<Proto.AttributeProto>
        {
            GraphWriter.Ints("kernel_shape", kernel),
            GraphWriter.Ints("strides", stride),
            GraphWriter.Ints("pads", padding.Concat(padding)),
            GraphWriter.Int("ceil_mode", ceil ? 1 : 0),
        };
        if (window.Op == "MaxPool")
        {
            attributes.Add(GraphWriter.Ints("dilations", dilation));
        }
        else
        {
            attributes.Add(GraphWriter.Int("count_include_pad", window.CountIncludePad ? 1 : 0));
        }
        var result = layer.Node(window.Op, [layer.Input], [.. attributes]);
        layer.Reshape(output);
        return result;
    }

    // libtorch's pooling_output_shape in floor and ceil mode without and (Torch) with its correction, for the layer's ceil_mode.
    private static (long Floor, long Ceil, long Torch) OutputSizes(long size, long extent, long stride, long padding, bool ceilMode)
    {
        var span = size + 2 * padding - extent;
        var floor = FloorDiv(span, stride) + 1;
        var ceil = FloorDiv(span + stride - 1, stride) + 1;
        var torch = ceilMode && (ceil - 1) * stride < size + padding ? ceil : floor;
        return (floor, ceil, torch);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    // adaptive_avg_pool: output cell i averages input [floor(i * in / out), ceil((i + 1) * in / out)); when out divides
    // in, those are the windows of AveragePool(kernel = stride = in / out), and out = 1 is GlobalAveragePool.
    private static string Adaptive(LayerContext layer, IReadOnlyList<long> outputSize, int spatial)
    {
        RequireSpatialInput(layer, spatial);
        var size = Settings.PerDimension(layer, "output_size", outputSize, spatial, minimum: 1);
        var input = layer.Shape.Skip(1).ToArray();
        string result;
        if (size.All(s => s == 1))
        {
            result = layer.Node("GlobalAveragePool", [layer.Input]);
        }
        else if (Enumerable.Range(0, spatial).All(i => input[i] % size[i] == 0))
        {
            var kernel = Enumerable.Range(0, spatial).Select(i => input[i] / size[i]).ToArray();
            result = layer.Node("AveragePool", [layer.Input], GraphWriter.Ints("kernel_shape", kernel), GraphWriter.Ints("strides", kernel));
        }
        else
        {
            throw layer.Refuse($"output_size=[{string.Join(", ", size)}] on an input of [{string.Join(", ", input)}]",
                "its windows overlap unevenly unless each input size is a multiple of the output size, and ONNX has no adaptive pooling");
        }
        layer.Reshape(layer.Shape.Take(1).Concat(size));
        return result;
    }

    private static void RequireSpatialInput(LayerContext layer, int spatial)
    {
        if (layer.Shape.Count != spatial + 1)
        {
            throw layer.Misfit($"takes [batch, channels{string.Concat(Enumerable.Repeat(", *", spatial))}]");
        }
    }
}
