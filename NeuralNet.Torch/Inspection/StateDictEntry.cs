using NeuralNet.Torch.Persistence;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>One entry of a module's state_dict, as <see cref="StateDictReport"/> lists it.</summary>
/// <param name="Key">The state_dict key, e.g. <c>features.1.running_mean</c>.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape; empty for a 0-dim tensor (<c>num_batches_tracked</c>).</param>
/// <param name="IsParameter">True for a parameter, false for a buffer (BatchNorm's <c>running_mean</c>,
/// <c>running_var</c>, <c>num_batches_tracked</c>).</param>
/// <param name="IsTrainable">True for a parameter that requires grad; false for frozen parameters and buffers.</param>
/// <remarks>The shape list compares by reference in the record's equality.</remarks>
public sealed record StateDictEntry(string Key, ScalarType DType, IReadOnlyList<long> Shape, bool IsParameter, bool IsTrainable)
{
    /// <summary>PyTorch's name of <see cref="DType"/>: <c>float32</c>, <c>int64</c>, ...</summary>
    public string DTypeName => DTypes.Name(DType);

    /// <summary><c>features.0.weight float32 [16, 1, 3, 3] parameter</c> (<c>frozen parameter</c>, <c>buffer</c>).</summary>
    /// <returns>The key, element type, shape and kind.</returns>
    public override string ToString() =>
        $"{Key} {DTypeName} {ShapeText.Of(Shape)} {(IsParameter ? IsTrainable ? "parameter" : "frozen parameter" : "buffer")}";
}
