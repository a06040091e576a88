using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>One layer being exported: where it sits, the value it reads, one sample's shape at that point (updated by
/// the mapping to the layer's output shape), and the graph to write into.</summary>
internal sealed class LayerContext
{
    private readonly GraphWriter _graph;

    public LayerContext(ChainLink link, GraphWriter graph, string input, List<long> shape)
    {
        Path = link.Path;
        Module = link.Module;
        Input = input;
        Shape = shape;
        _graph = graph;
    }

    /// <summary>The layer's path in the module tree (<c>features.0</c>); empty for the model itself.</summary>
    public string Path { get; }

    public nn.Module Module { get; }

    /// <summary>The name of the value the layer reads.</summary>
    public string Input { get; }

    /// <summary>One sample's shape (without the batch dimension): the layer's input shape on entry; a mapping that
    /// changes the shape sets it to the output's.</summary>
    public List<long> Shape { get; }

    /// <summary>The rank of the layer's input including the batch dimension.</summary>
    public int Rank => Shape.Count + 1;

    /// <summary>Appends a node named after the layer and the operator; returns its output.</summary>
    public string Node(string op, IReadOnlyList<string> inputs, params Proto.AttributeProto[] attributes) =>
        _graph.Node(op, Prefix, inputs, attributes);

    /// <summary>The layer's tensor <paramref name="name"/> (<c>weight</c>, <c>running_mean</c>) as an initializer
    /// named by its state_dict key.</summary>
    public string Parameter(string name, Tensor value) => _graph.Initializer(ModuleChain.Join(Path, name), value);

    /// <summary>A float32 constant (a scalar when <paramref name="dims"/> is empty).</summary>
    public string Floats(long[] dims, params float[] values) => _graph.Floats(Prefix, dims, values);

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(double value) => _graph.Floats(Prefix, [], (float)value);

    /// <summary>An int64 vector constant (a shape for <c>Reshape</c>).</summary>
    public string Int64s(params long[] values) => _graph.Int64s(Prefix, values);

    /// <summary>The exception for a setting no exact graph expresses: names the layer, the setting and why.</summary>
    public NotSupportedException Refuse(string setting, string reason) =>
        new($"Cannot export {ModuleChain.Describe(Path, Module)} to ONNX: {setting}: {reason}.");

    /// <summary>The exception for an input shape that does not fit the layer (the options' fault, or the model's).</summary>
    /// <param name="takes">What the layer takes, e.g. <c>takes 784 features in the last dimension</c>.</param>
    public ArgumentException Misfit(string takes) =>
        new($"{Module.GetType().Name} {(Path.Length == 0 ? "(the model)" : $"'{Path}'")} {takes}, but its input has shape " +
            $"{ShapeText()}; set OnnxExportOptions.InputShape to the shape of one sample the model takes.", "options");

    /// <summary>The input's shape as messages print it: <c>[batch, 1, 28, 28]</c>.</summary>
    public string ShapeText() => "[batch" + string.Concat(Shape.Select(d => ", " + d)) + "]";

    /// <summary>Sets one sample's shape to <paramref name="next"/>.</summary>
    public void Reshape(IEnumerable<long> next)
    {
        var copy = next.ToList();
        Shape.Clear();
        Shape.AddRange(copy);
    }

    private string Prefix => Path.Length == 0 ? Module.GetType().Name : Path;
}
