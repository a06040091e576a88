namespace NeuralNet.Torch.Onnx;

/// <summary>What an ONNX export wrote: the graph's signature, as a serving configuration needs it.</summary>
/// <param name="InputName">The graph input's name (<c>input</c> by default).</param>
/// <param name="InputShape">One sample's shape, without the dynamic batch dimension (e.g. <c>[784]</c>).</param>
/// <param name="OutputName">The graph output's name (<c>logits</c> by default).</param>
/// <param name="OutputShape">One sample's output shape, without the batch dimension (e.g. <c>[10]</c>).</param>
/// <param name="OpsetVersion">The default-domain opset the graph uses (<see cref="OnnxExport.OpsetVersion"/>).</param>
/// <param name="Initializers">The weights stored as initializers, named by their state_dict keys (e.g.
/// <c>linear_relu_stack.0.weight</c>), in graph order.</param>
/// <param name="Operators">The ONNX operators of the graph's nodes, in order (e.g. <c>Flatten</c>, <c>Gemm</c>,
/// <c>Relu</c>, ...).</param>
public sealed record OnnxExportInfo(
    string InputName,
    IReadOnlyList<long> InputShape,
    string OutputName,
    IReadOnlyList<long> OutputShape,
    int OpsetVersion,
    IReadOnlyList<string> Initializers,
    IReadOnlyList<string> Operators);
