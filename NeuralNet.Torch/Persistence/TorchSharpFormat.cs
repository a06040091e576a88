using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>Reads and writes TorchSharp's own checkpoint format, the one <c>Module.save</c> writes and
/// <c>Module.load</c> reads (TorchSharp 0.107).</summary>
/// <remarks>
/// <para>Layout: the number of entries (unsigned LEB128), then per entry the key as <c>BinaryWriter.Write(string)</c>
/// writes it (7-bit encoded UTF-8 byte count, then the bytes), the element type as the LEB128 of TorchSharp's
/// <c>ScalarType</c> number, the number of dimensions and each dimension (LEB128), and the raw elements in row-major
/// order (little-endian on every platform TorchSharp ships for).</para>
/// <para>The format has no magic number, so it is recognised by reading it whole: every field must be in range and the
/// data must end exactly at the end of the file. Unlike <c>Module.load</c>, reading never touches a model, so a file
/// that turns out bad half-way changes nothing.</para>
/// </remarks>
internal static class TorchSharpFormat
{
    private const int MaxDimensions = 64;

    /// <summary>Reads every tensor.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed TorchSharp checkpoint.</exception>
    public static List<StateEntry> Read(Stream stream)
    {
        stream.Position = 0;
        var reader = new Reader(stream);
        var count = reader.Leb128("the number of entries");
        // Each entry takes at least 3 bytes (name length, element type, rank): a larger count cannot be right.
        if (count > (stream.Length - stream.Position) / 3)
        {
            throw new InvalidDataException(
                $"it declares {count} entries, more than its {stream.Length - stream.Position} remaining bytes can hold (truncated)");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<StateEntry>((int)count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.String(i);
            if (!names.Add(name))
            {
                throw new InvalidDataException($"it holds the key '{name}' twice");
            }
            var code = reader.Leb128($"the element type of '{name}'");
            var dtype = DTypes.FromTorchSharpCode(code)
                ?? throw new InvalidDataException($"entry '{name}' has the element type number {code}, which is not supported");
            var rank = reader.Leb128($"the rank of '{name}'");
            if (rank > MaxDimensions)
            {
                throw new InvalidDataException($"entry '{name}' has {rank} dimensions (at most {MaxDimensions} are supported)");
            }
            var shape = new long[rank];
            for (var d = 0; d < rank; d++)
            {
                shape[d] = reader.Leb128($"the shape of '{name}'");
            }
            var size = StateEntry.ByteSize(shape, dtype.Type, name);
            if (size > stream.Length - stream.Position)
            {
                throw new InvalidDataException(
                    $"entry '{name}' {dtype.Name} {ShapeText.Of(shape)} needs {size} bytes, but only {stream.Length - stream.Position} are left (truncated)");
            }
            var data = new byte[size];
            stream.ReadExactly(data);
            result.Add(new StateEntry(name, dtype.Type, shape, data));
        }
        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException($"{stream.Length - stream.Position} byte(s) follow the last entry");
        }
        return result;
    }

    /// <summary>Writes the tensors as <c>Module.save</c> would.</summary>
    public static void Write(Stream output, IReadOnlyList<StateEntry> entries)
    {
        var buffer = new List<byte>();
        Leb128(buffer, entries.Count);
        output.Write(buffer.ToArray());
        foreach (var entry in entries)
        {
            buffer.Clear();
            var name = Encoding.UTF8.GetBytes(entry.Name);
            Leb128(buffer, name.Length); // BinaryWriter's 7-bit encoded length is the same encoding
            buffer.AddRange(name);
            Leb128(buffer, (long)entry.DType);
            Leb128(buffer, entry.Shape.Length);
            foreach (var d in entry.Shape)
            {
                Leb128(buffer, d);
            }
            output.Write(buffer.ToArray());
            output.Write(entry.Data);
        }
    }

    private static void Leb128(List<byte> buffer, long value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            buffer.Add(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
    }

    private sealed class Reader(Stream stream)
    {
        public long Leb128(string what)
        {
            long result = 0;
            for (var shift = 0; shift < 63; shift += 7)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw new InvalidDataException($"the file ends inside {what} (truncated)");
                }
                result |= (long)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }
            throw new InvalidDataException($"{what} is not a valid LEB128 number");
        }

        public string String(int index)
        {
            var length = Leb128($"the length of key {index}");
            if (length > 64 * 1024 || length > stream.Length - stream.Position)
            {
                throw new InvalidDataException($"key {index} claims {length} bytes, which the file cannot hold");
            }
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"key {index} is not valid UTF-8");
            }
        }
    }
}
