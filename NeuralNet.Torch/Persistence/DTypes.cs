using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>The element types the checkpoint formats can carry, with each format's name for them.</summary>
internal static class DTypes
{
    private static readonly DTypeInfo[] Known =
    [
        new(ScalarType.Float32, "float32", 4, "FloatStorage", "F32", IsFloatingPoint: true),
        new(ScalarType.Float64, "float64", 8, "DoubleStorage", "F64", IsFloatingPoint: true),
        new(ScalarType.Float16, "float16", 2, "HalfStorage", "F16", IsFloatingPoint: true),
        new(ScalarType.BFloat16, "bfloat16", 2, "BFloat16Storage", "BF16", IsFloatingPoint: true),
        new(ScalarType.Int64, "int64", 8, "LongStorage", "I64", IsFloatingPoint: false),
        new(ScalarType.Int32, "int32", 4, "IntStorage", "I32", IsFloatingPoint: false),
        new(ScalarType.Int16, "int16", 2, "ShortStorage", "I16", IsFloatingPoint: false),
        new(ScalarType.Int8, "int8", 1, "CharStorage", "I8", IsFloatingPoint: false),
        new(ScalarType.Byte, "uint8", 1, "ByteStorage", "U8", IsFloatingPoint: false),
        new(ScalarType.Bool, "bool", 1, "BoolStorage", "BOOL", IsFloatingPoint: false),
        // safetensors has no complex dtype that PyTorch's safetensors binding writes for these; they stay PyTorch/TorchSharp only.
        new(ScalarType.ComplexFloat32, "complex64", 8, "ComplexFloatStorage", null, IsFloatingPoint: false),
        new(ScalarType.ComplexFloat64, "complex128", 16, "ComplexDoubleStorage", null, IsFloatingPoint: false),
    ];

    /// <summary>True when <paramref name="type"/> is one of the element types above.</summary>
    public static bool IsSupported(ScalarType type) => Known.Any(k => k.Type == type);

    /// <summary>The info of a supported element type.</summary>
    /// <exception cref="InvalidDataException">The type is not supported (quantized types).</exception>
    public static DTypeInfo Of(ScalarType type) =>
        Known.FirstOrDefault(k => k.Type == type)
        ?? throw new InvalidDataException($"the element type {type} is not supported by the checkpoint formats");

    /// <summary>PyTorch's name of the element type (<c>float32</c>, <c>int64</c>, ...); the enum name otherwise.</summary>
    public static string Name(ScalarType type) => Known.FirstOrDefault(k => k.Type == type)?.Name ?? type.ToString();

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(ScalarType type) => Of(type).Size;

    /// <summary>The element type of PyTorch's dtype name without <c>torch.</c> (<c>float32</c>), or null.</summary>
    public static DTypeInfo? FromPythonName(string name) => Known.FirstOrDefault(k => k.Name == name);

    /// <summary>The element type of a legacy PyTorch storage class name (<c>FloatStorage</c>), or null.</summary>
    public static DTypeInfo? FromStorageClass(string className) => Known.FirstOrDefault(k => k.StorageClass == className);

    /// <summary>The element type of a safetensors dtype code (<c>F32</c>), or null.</summary>
    public static DTypeInfo? FromSafeTensorsCode(string code) => Known.FirstOrDefault(k => k.SafeTensorsCode == code);

    /// <summary>The element type of a TorchSharp <see cref="ScalarType"/> number, or null.</summary>
    public static DTypeInfo? FromTorchSharpCode(long code) => Known.FirstOrDefault(k => (long)k.Type == code);
}

/// <summary>One element type and its names.</summary>
/// <param name="Type">TorchSharp's element type.</param>
/// <param name="Name">PyTorch's name (<c>torch.float32</c> without the prefix).</param>
/// <param name="Size">Bytes per element.</param>
/// <param name="StorageClass">The legacy storage class that <c>torch.save</c> names in a pickle (<c>torch.FloatStorage</c>).</param>
/// <param name="SafeTensorsCode">The safetensors dtype code, or null where safetensors has none.</param>
/// <param name="IsFloatingPoint">True for the real floating-point types.</param>
internal sealed record DTypeInfo(ScalarType Type, string Name, int Size, string StorageClass, string? SafeTensorsCode, bool IsFloatingPoint);
