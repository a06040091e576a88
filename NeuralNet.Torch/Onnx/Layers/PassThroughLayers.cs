using TorchSharp.Modules;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Layers that compute nothing at inference: <c>Identity</c>, and every dropout in eval mode (omitted from
/// the graph, as eval mode's forward returns its input).</summary>
internal static class PassThroughLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<Identity>((_, layer) => layer.Input),
        LayerMapping.For<Dropout>((_, layer) => Dropout(layer, null)),
        LayerMapping.For<Dropout1d>((_, layer) => Dropout(layer, 2)),
        LayerMapping.For<Dropout2d>((_, layer) => Dropout(layer, null)),
        LayerMapping.For<Dropout3d>((_, layer) => Dropout(layer, null)),
        LayerMapping.For<AlphaDropout>((_, layer) => Dropout(layer, null)),
        LayerMapping.For<FeatureAlphaDropout>((_, layer) => Dropout(layer, null)),
    ];

    private static string Dropout(LayerContext layer, int? sampleRank)
    {
        if (layer.Module.training)
        {
            throw layer.Refuse("training mode", "it zeroes random elements while training; call model.eval() before exporting (the graph then leaves it out)");
        }
        // Dropout1d's forward checks for [N, C, L] in eval mode too.
        if (sampleRank is { } rank && layer.Shape.Count != rank)
        {
            throw layer.Misfit("takes [batch, channels, length]");
        }
        return layer.Input;
    }
}
