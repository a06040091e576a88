using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>One tensor listed in a checkpoint file.</summary>
/// <param name="Name">The state_dict key, e.g. <c>linear_relu_stack.0.weight</c>.</param>
/// <param name="DType">The element type stored in the file.</param>
/// <param name="Shape">The shape, e.g. <c>[512, 784]</c>; empty for a 0-dim tensor.</param>
public sealed record CheckpointTensorInfo(string Name, ScalarType DType, IReadOnlyList<long> Shape)
{
    /// <summary>PyTorch's name of <see cref="DType"/>: <c>float32</c>, <c>float16</c>, <c>int64</c>, ...</summary>
    public string DTypeName => DTypes.Name(DType);

    /// <summary><c>name float32 [512, 784]</c>.</summary>
    /// <returns>The name, the element type and the shape.</returns>
    public override string ToString() => $"{Name} {DTypeName} {ShapeText.Of(Shape)}";
}
