using NeuralNet.Torch.Persistence;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>A key that the module and a checkpoint both have, with a different shape or element type.</summary>
/// <param name="Key">The state_dict key.</param>
/// <param name="ModuleDType">The module's element type.</param>
/// <param name="ModuleShape">The module's shape.</param>
/// <param name="FileDType">The checkpoint's element type.</param>
/// <param name="FileShape">The checkpoint's shape.</param>
/// <remarks>The shape lists compare by reference in the record's equality.</remarks>
public sealed record StateDictMismatch(string Key, ScalarType ModuleDType, IReadOnlyList<long> ModuleShape, ScalarType FileDType, IReadOnlyList<long> FileShape)
{
    /// <summary><c>fc.weight: module float32 [10, 64], file float32 [10, 128]</c>.</summary>
    /// <returns>The key and both sides.</returns>
    public override string ToString() =>
        $"{Key}: module {DTypes.Name(ModuleDType)} {ShapeText.Of(ModuleShape)}, file {DTypes.Name(FileDType)} {ShapeText.Of(FileShape)}";
}
