namespace NeuralNet.Torch.Inspection;

/// <summary>One module of a <see cref="ModelSummary"/>.</summary>
/// <param name="Name">The dotted module name as <c>named_modules()</c> gives it (<c>linear_relu_stack.0</c>); empty
/// for the model itself.</param>
/// <param name="TypeName">The module's type name (<c>Linear</c>, <c>NeuralNetwork</c>).</param>
/// <param name="Depth">0 for the model, 1 for its children, and so on.</param>
/// <param name="OutputShape">The shape of the module's output in the summary's forward pass (its first call when it
/// ran more than once); null when the pass did not go through the module's hooks: it was not called or its parent
/// called its <c>forward</c> directly instead of <c>call</c> (both listed in <see cref="ModelSummary.LayersNotRun"/>),
/// or its forward signature is not one that is hooked.</param>
/// <param name="ParameterCount">The elements of the module's parameters, its children's included (each shared
/// parameter once).</param>
/// <param name="TrainableParameterCount">The part of <paramref name="ParameterCount"/> that requires grad.</param>
/// <remarks>The shape list compares by reference in the record's equality.</remarks>
public sealed record LayerSummary(
    string Name,
    string TypeName,
    int Depth,
    IReadOnlyList<long>? OutputShape,
    long ParameterCount,
    long TrainableParameterCount);
