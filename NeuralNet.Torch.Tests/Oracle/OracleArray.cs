using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>A tensor's values written by an oracle script: torch's dtype name, the shape, and the raw little-endian
/// bytes in C order (float16 and bfloat16 as their 16-bit patterns).</summary>
internal sealed class OracleArray
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new(StringComparer.Ordinal)
    {
        ["float32"] = (ScalarType.Float32, 4), ["float64"] = (ScalarType.Float64, 8), ["float16"] = (ScalarType.Float16, 2),
        ["bfloat16"] = (ScalarType.BFloat16, 2), ["int8"] = (ScalarType.Int8, 1), ["int16"] = (ScalarType.Int16, 2),
        ["int32"] = (ScalarType.Int32, 4), ["int64"] = (ScalarType.Int64, 8), ["uint8"] = (ScalarType.Byte, 1),
        ["bool"] = (ScalarType.Bool, 1),
    };

    public OracleArray(string name, string dtype, long[] shape, byte[] bytes)
    {
        if (!DTypes.TryGetValue(dtype, out var type))
        {
            throw new ArgumentException($"array '{name}' has the unknown dtype '{dtype}'");
        }
        var expected = shape.Aggregate(1L, (a, d) => a * d) * type.Size;
        if (bytes.LongLength != expected)
        {
            throw new ArgumentException($"array '{name}' ({dtype} {ShapeText(shape)}) should have {expected} bytes; its file has {bytes.LongLength}");
        }
        Name = name;
        DType = dtype;
        ScalarType = type.Type;
        Shape = shape;
        Bytes = bytes;
    }

    public string Name { get; }

    /// <summary>torch's name of the dtype: <c>float32</c>, <c>bfloat16</c>, <c>int64</c>, <c>bool</c>, ...</summary>
    public string DType { get; }

    public ScalarType ScalarType { get; }

    public long[] Shape { get; }

    public byte[] Bytes { get; }

    public long Count => Shape.Aggregate(1L, (a, d) => a * d);

    public float[] ToFloat32() => As<float>("float32");

    public double[] ToFloat64() => As<double>("float64");

    public long[] ToInt64() => As<long>("int64");

    public int[] ToInt32() => As<int>("int32");

    /// <summary>A new CPU tensor with these values, dtype and shape; the caller owns it.</summary>
    public Tensor ToTensor()
    {
        var tensor = empty(Shape, ScalarType, CPU);
        if (Bytes.Length > 0)
        {
            tensor.bytes = Bytes;
        }
        return tensor;
    }

    private T[] As<T>(string dtype) where T : struct
    {
        if (DType != dtype)
        {
            throw new InvalidOperationException($"array '{Name}' is {DType}, not {dtype}");
        }
        return MemoryMarshal.Cast<byte, T>(Bytes).ToArray();
    }

    private static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
