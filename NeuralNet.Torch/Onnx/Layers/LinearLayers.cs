using TorchSharp.Modules;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary><c>Linear</c>: y = x W^T + b.</summary>
internal static class LinearLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } = [LayerMapping.For<Linear>(Linear)];

    // Gemm(transB=1) for a [batch, in] input, as PyTorch exports it; MatMul with the transposed weight and Add for a
    // higher-rank input (Gemm takes matrices only).
    private static string Linear(Linear linear, LayerContext layer)
    {
        var inFeatures = linear.weight!.shape[1];
        if (layer.Shape.Count == 0 || layer.Shape[^1] != inFeatures)
        {
            throw layer.Misfit($"takes {inFeatures} features in the last dimension");
        }
        var weight = layer.Parameter("weight", linear.weight);
        var bias = linear.bias is null ? null : layer.Parameter("bias", linear.bias);
        string output;
        if (layer.Shape.Count == 1)
        {
            output = layer.Node("Gemm", bias is null ? [layer.Input, weight] : [layer.Input, weight, bias], GraphWriter.Int("transB", 1));
        }
        else
        {
            var transposed = layer.Node("Transpose", [weight], GraphWriter.Ints("perm", [1, 0]));
            output = layer.Node("MatMul", [layer.Input, transposed]);
            if (bias is not null)
            {
                output = layer.Node("Add", [output, bias]);
            }
        }
        layer.Shape[^1] = linear.weight.shape[0];
        return output;
    }
}
