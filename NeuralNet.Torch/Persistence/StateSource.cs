using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>One tensor to load into a model: its key, element type and shape (checked first), and how to make it as a
/// CPU or device tensor once everything fits.</summary>
/// <param name="Name">The state_dict key.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape.</param>
/// <param name="Materialize">Makes a new tensor (a copy or an alias) that the caller disposes.</param>
internal sealed record StateSource(string Name, ScalarType DType, long[] Shape, Func<Tensor> Materialize)
{
    /// <summary>A tensor read from a file into managed memory.</summary>
    public static StateSource From(StateEntry entry) => new(entry.Name, entry.DType, entry.Shape, entry.ToTensor);

    /// <summary>A tensor the caller holds; it is read through an alias and never changed or disposed here.</summary>
    public static StateSource From(string name, Tensor tensor) => new(name, tensor.dtype, tensor.shape, tensor.detach);
}
