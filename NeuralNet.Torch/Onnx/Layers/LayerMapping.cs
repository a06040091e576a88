using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>How one TorchSharp layer type becomes ONNX: a function that writes the layer's nodes and returns the name
/// of its output value (its input's name for a layer that computes nothing at inference, such as Dropout).</summary>
/// <param name="Type">The module type, matched exactly.</param>
/// <param name="Map">Writes the nodes; throws <see cref="NotSupportedException"/> (through
/// <see cref="LayerContext.Refuse"/>) for a setting no exact graph expresses, <see cref="ArgumentException"/> (through
/// <see cref="LayerContext.Misfit"/>) for an input shape the layer does not take.</param>
internal sealed record LayerMapping(Type Type, Func<LayerContext, string> Map)
{
    /// <summary>The mapping of <typeparamref name="T"/>.</summary>
    public static LayerMapping For<T>(Func<T, LayerContext, string> map) where T : nn.Module =>
        new(typeof(T), layer => map((T)layer.Module, layer));
}
