namespace NeuralNet.Torch.Inspection;

/// <summary>One parameter of a model, as the document's loop
/// <c>for name, param in model.named_parameters(): print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n")</c>
/// sees it.</summary>
/// <param name="Name">The <c>named_parameters()</c> / state_dict key, e.g. <c>linear_relu_stack.0.weight</c>.</param>
/// <param name="Shape">The parameter's shape, e.g. <c>[512, 784]</c>.</param>
/// <param name="ElementCount">The number of elements (the product of <paramref name="Shape"/>; 1 for a 0-dim one).</param>
/// <param name="RequiresGrad">Whether the parameter requires grad (is trained).</param>
/// <param name="FirstValues">Its first values in row-major order, widened to double (exact for float32, float16 and
/// bfloat16), at most as many as were asked for.</param>
/// <param name="ValuesText">PyTorch's text of <c>param[:2]</c> (the first two rows), suffixes included.</param>
/// <remarks>The lists compare by reference in the record's equality.</remarks>
public sealed record ParameterEntry(
    string Name,
    IReadOnlyList<long> Shape,
    long ElementCount,
    bool RequiresGrad,
    IReadOnlyList<double> FirstValues,
    string ValuesText)
{
    /// <summary>PyTorch's <c>param.size()</c> text, e.g. <c>torch.Size([512, 784])</c>.</summary>
    public string Size => Shape.ToArray().ToTorchSize();

    /// <summary>The document's line for this parameter, without the two line breaks that follow it in the output:
    /// <c>Layer: {name} | Size: {size} | Values : {param[:2]} </c>, with the space before the colon of
    /// <c>Values :</c> and the trailing space.</summary>
    /// <returns>The text; it spans several lines when the values do.</returns>
    public string ToDocumentLine() => $"Layer: {Name} | Size: {Size} | Values : {ValuesText} ";
}
