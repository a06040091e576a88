using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>One tensor of a checkpoint, held in managed memory: no native tensor exists until a load is committed.</summary>
/// <param name="Name">The state_dict key.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape (empty for a 0-dim tensor).</param>
/// <param name="Data">The elements in row-major (contiguous) order, little-endian; exactly numel * element size bytes.</param>
internal sealed record StateEntry(string Name, ScalarType DType, long[] Shape, byte[] Data)
{
    /// <summary>The number of elements of <paramref name="shape"/>.</summary>
    /// <exception cref="InvalidDataException">A dimension is negative or the product overflows.</exception>
    public static long Numel(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new InvalidDataException($"the shape {ShapeText.Of(shape)} has a negative dimension");
            }
            try
            {
                n = checked(n * d);
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"the shape {ShapeText.Of(shape)} has more elements than fit in 64 bits");
            }
        }
        return n;
    }

    /// <summary>The byte size of a tensor: numel * element size, refused past 2 GiB (one managed array).</summary>
    /// <exception cref="InvalidDataException">The size overflows or exceeds what one array holds.</exception>
    public static int ByteSize(IReadOnlyList<long> shape, ScalarType dtype, string name)
    {
        var numel = Numel(shape);
        var size = DTypes.ElementSize(dtype);
        if (numel > Array.MaxLength / size)
        {
            throw new InvalidDataException(
                $"tensor '{name}' {ShapeText.Of(shape)} has {numel} elements; tensors over {Array.MaxLength} bytes are not supported");
        }
        return (int)(numel * size);
    }

    /// <summary>A new CPU tensor holding <see cref="Data"/>; the caller owns it.</summary>
    public Tensor ToTensor()
    {
        var tensor = empty(Shape, DType, CPU);
        if (Data.Length > 0)
        {
            tensor.bytes = Data;
        }
        return tensor;
    }
}
