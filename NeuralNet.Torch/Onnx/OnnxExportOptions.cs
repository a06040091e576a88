namespace NeuralNet.Torch.Onnx;

/// <summary>Settings of an ONNX export (<see cref="OnnxExport"/>). The defaults suit the document's model and
/// serving: input <c>input</c> <c>[batch, 784]</c>, output <c>logits</c> <c>[batch, 10]</c>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The graph input's name. Default <c>input</c>.</summary>
    public string InputName { get; set; } = "input";

    /// <summary>The graph output's name. Default <c>logits</c> (the document's name for the model's raw output; for a
    /// model ending in softmax the values are probabilities, whatever the name).</summary>
    public string OutputName { get; set; } = "logits";

    /// <summary>The name of the dynamic first (batch) dimension of the input and the output. Default <c>batch</c>.</summary>
    public string BatchDimensionName { get; set; } = "batch";

    /// <summary>The shape of one sample, without the batch dimension: <c>[784]</c>, <c>[28, 28]</c> or
    /// <c>[1, 28, 28]</c> for the document's model, <c>[1, 28, 28]</c> for a CNN on MNIST images. Null (the default)
    /// takes one vector of the first layer's <c>in_features</c> when that layer (after any <c>Flatten</c>) is a
    /// <c>Linear</c> (<c>[784]</c> for the document's model); any other model needs it set, or the export throws an
    /// <see cref="ArgumentException"/> naming its first layer.</summary>
    public IReadOnlyList<long>? InputShape { get; set; }

    /// <summary>Whether the exporter checks each <see cref="ISequentialModule"/> module's declaration by running its
    /// <c>forward</c> against the chain of its children on a random batch. Default true; turn it off only for a module
    /// whose <c>forward</c> cannot run on random input. A module that declares nothing is exported as the chain of its
    /// children only once that run confirms it, whatever this says.</summary>
    public bool VerifySequentialModules { get; set; } = true;
}
