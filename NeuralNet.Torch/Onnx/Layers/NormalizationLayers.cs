using TorchSharp.Modules;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary><c>BatchNorm1d</c>/<c>BatchNorm2d</c> in eval mode (their running statistics) as ONNX
/// <c>BatchNormalization</c>, and <c>LayerNorm</c> as opset 17's <c>LayerNormalization</c>.</summary>
internal static class NormalizationLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<BatchNorm1d>((norm, layer) => BatchNorm(norm, layer, [1, 2])),
        LayerMapping.For<BatchNorm2d>((norm, layer) => BatchNorm(norm, layer, [3])),
        LayerMapping.For<LayerNorm>(LayerNorm),
    ];

    // forward uses weight and bias when present (ones and zeros when not), whatever `affine` says now.
    private static string BatchNorm(BatchNorm norm, LayerContext layer, int[] sampleRanks)
    {
        if (norm.training)
        {
            throw layer.Refuse("training mode",
                "it normalises each batch with that batch's own statistics and updates its running ones; call model.eval() before exporting");
        }
        if (norm.running_mean is null || norm.running_var is null)
        {
            throw layer.Refuse("track_running_stats=False",
                "without running statistics it normalises each batch with that batch's own statistics, in eval mode too, which ONNX's BatchNormalization does not compute");
        }
        var channels = norm.running_mean.shape[0];
        if (!sampleRanks.Contains(layer.Shape.Count) || layer.Shape[0] != channels)
        {
            var forms = string.Join(" or ", sampleRanks.Select(r => $"[batch, {channels}{string.Concat(Enumerable.Repeat(", *", r - 1))}]"));
            throw layer.Misfit($"takes {forms} ({channels} channels)");
        }
        var scale = norm.weight is null ? layer.Floats([channels], Fill(channels, 1f)) : layer.Parameter("weight", norm.weight);
        var shift = norm.bias is null ? layer.Floats([channels], Fill(channels, 0f)) : layer.Parameter("bias", norm.bias);
        var mean = layer.Parameter("running_mean", norm.running_mean);
        var variance = layer.Parameter("running_var", norm.running_var);
        return layer.Node("BatchNormalization", [layer.Input, scale, shift, mean, variance], GraphWriter.Float("epsilon", norm.eps));
    }

    // layer_norm normalises over the last len(normalized_shape) dimensions, which must equal normalized_shape.
    private static string LayerNorm(LayerNorm norm, LayerContext layer)
    {
        var normalized = norm.normalized_shape;
        if (normalized.Length == 0 || normalized.Length > layer.Shape.Count || !layer.Shape.TakeLast(normalized.Length).SequenceEqual(normalized))
        {
            throw layer.Misfit($"normalises trailing dimensions [{string.Join(", ", normalized)}]");
        }
        var count = normalized.Aggregate(1L, (a, d) => a * d);
        var scale = norm.weight is null ? layer.Floats(normalized, Fill(count, 1f)) : layer.Parameter("weight", norm.weight);
        string[] inputs = norm.bias is null ? [layer.Input, scale] : [layer.Input, scale, layer.Parameter("bias", norm.bias)];
        return layer.Node("LayerNormalization", inputs,
            GraphWriter.Int("axis", -normalized.Length), GraphWriter.Float("epsilon", norm.eps));
    }

    private static float[] Fill(long count, float value) => Enumerable.Repeat(value, checked((int)count)).ToArray();
}
