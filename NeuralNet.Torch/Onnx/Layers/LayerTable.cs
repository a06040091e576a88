namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Every layer type the exporter knows, from the mapping families (one class each: linear, convolution,
/// pooling, normalisation, activations, shape, pass-through).</summary>
internal static class LayerTable
{
    private static readonly Dictionary<Type, LayerMapping> Mappings =
        LinearLayers.Mappings
            .Concat(ConvolutionLayers.Mappings)
            .Concat(PoolingLayers.Mappings)
            .Concat(NormalizationLayers.Mappings)
            .Concat(ActivationLayers.Mappings)
            .Concat(ShapeLayers.Mappings)
            .Concat(PassThroughLayers.Mappings)
            .ToDictionary(m => m.Type);

    /// <summary>The known types' names, for messages: <c>AdaptiveAvgPool2d, AvgPool1d, ...</c>.</summary>
    public static string KnownTypes { get; } = string.Join(", ", Mappings.Keys.Select(t => t.Name).Order(StringComparer.Ordinal));

    /// <summary>The mapping of exactly <paramref name="type"/>, or null.</summary>
    public static LayerMapping? Find(Type type) => Mappings.GetValueOrDefault(type);
}
