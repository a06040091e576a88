using System.IO.Compression;
using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>Reads a <c>torch.save(state_dict)</c> zip archive (PyTorch 1.6 and later) into managed entries.</summary>
/// <remarks>
/// <para>Both layouts PyTorch has written are read: the classic one (<c>&lt;name&gt;/data.pkl</c>,
/// <c>&lt;name&gt;/data/0..N</c>, <c>version</c>, optionally <c>byteorder</c>) and the newer one that adds
/// <c>.format_version</c>, <c>.storage_alignment</c> (64-byte aligned records) and <c>.data/serialization_id</c>.
/// Alignment is not required. The top-level folder name is whatever the archive uses (PyTorch writes the file's stem,
/// or <c>archive</c>).</para>
/// <para>The storage location in the pickle (<c>cpu</c>, <c>cuda:0</c>, <c>mps</c>, ...) is ignored: the bytes are in
/// the archive, and everything is read onto the CPU. Each record's CRC-32 is checked; <c>byteorder</c> <c>big</c>
/// is byte-swapped.</para>
/// </remarks>
internal static class PyTorchCheckpointReader
{
    private const long MaxPickleBytes = 256L * 1024 * 1024;

    /// <summary>Reads the tensors of the archive's state_dict (see <see cref="StateDictSelection"/>).</summary>
    /// <param name="stream">The file, positioned anywhere (it must be seekable).</param>
    /// <param name="entry">The top-level key of the state_dict (<see cref="CheckpointLoadOptions.Entry"/>), or null.</param>
    /// <returns>The tensors in the state_dict's order, and the top-level key they came from (null for a bare state_dict).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid archive or holds no (single) state_dict; the
    /// message says why.</exception>
    public static (List<StateEntry> Entries, string? Entry) Read(Stream stream, string? entry)
    {
        using var zip = Open(stream);
        return Read(zip, stream.Length, entry);
    }

    /// <summary>True when the archive is a TorchScript archive (<c>torch.jit.save</c>): it has
    /// <c>constants.pkl</c> or <c>code/</c> records.</summary>
    /// <exception cref="InvalidDataException">The zip archive is not readable.</exception>
    public static bool IsTorchScript(Stream stream)
    {
        using var zip = Open(stream);
        return zip.Entries.Any(e =>
            e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal) || e.FullName.Contains("/code/", StringComparison.Ordinal));
    }

    private static ZipArchive Open(Stream stream)
    {
        stream.Position = 0;
        try
        {
            return new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"it starts like a zip archive but is not a readable one (truncated or corrupt: {e.Message})", e);
        }
    }

    private static (List<StateEntry> Entries, string? Entry) Read(ZipArchive zip, long fileLength, string? entryName)
    {
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (!entries.TryAdd(entry.FullName, entry))
            {
                throw new InvalidDataException($"the zip archive has two records named '{entry.FullName}'");
            }
            // Sizes come from the central directory: check them against the file before trusting them with an
            // allocation (deflate cannot expand more than about 1032:1; PyTorch stores records uncompressed).
            if (entry.CompressedLength > fileLength || entry.Length > Math.Max(entry.CompressedLength, 1) * 1032)
            {
                throw new InvalidDataException($"record '{entry.FullName}' claims sizes the file cannot hold (truncated or corrupt)");
            }
        }
        var pickles = entries.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.Count(c => c == '/') == 1).ToList();
        if (pickles.Count == 0)
        {
            throw new InvalidDataException("it is a zip archive but not a torch.save file (no <name>/data.pkl record)");
        }
        if (pickles.Count > 1)
        {
            throw new InvalidDataException($"it holds {pickles.Count} data.pkl records ({string.Join(", ", pickles)}); expected one");
        }
        var prefix = pickles[0][..^"data.pkl".Length];

        var bigEndian = false;
        if (entries.TryGetValue(prefix + "byteorder", out var byteorderEntry))
        {
            var text = Encoding.ASCII.GetString(ReadRecord(byteorderEntry, maxLength: 16)).Trim();
            bigEndian = text switch
            {
                "little" => false,
                "big" => true,
                _ => throw new InvalidDataException($"record '{byteorderEntry.FullName}' says '{text}'; expected 'little' or 'big'"),
            };
        }

        var pickleEntry = entries[pickles[0]];
        var root = PickleReader.Read(ReadRecord(pickleEntry, MaxPickleBytes), pickleEntry.FullName);
        var (dict, chosen) = StateDictSelection.Select(root, entryName, pickleEntry.FullName);

        // Only the chosen state_dict's storages are read (an optimizer's state is left in the archive).
        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var result = new List<StateEntry>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            var name = (string)key!;
            var tensor = (PyTensor)value!;
            var storage = tensor.Storage;
            if (!storages.TryGetValue(storage.Key, out var bytes))
            {
                var recordName = prefix + "data/" + storage.Key;
                if (!entries.TryGetValue(recordName, out var record))
                {
                    throw new InvalidDataException($"record '{recordName}' (the data of '{name}') is missing");
                }
                if (record.Length != storage.ByteLength)
                {
                    throw new InvalidDataException(
                        $"record '{recordName}' holds {record.Length} bytes, but the pickle declares {storage.Numel} " +
                        $"{storage.DType.Name} elements ({storage.ByteLength} bytes)");
                }
                bytes = ReadRecord(record, storage.ByteLength);
                if (bigEndian)
                {
                    SwapBytes(bytes, tensor.DType);
                }
                storages[storage.Key] = bytes;
            }
            result.Add(new StateEntry(name, tensor.DType.Type, tensor.Shape, Gather(bytes, tensor, name)));
        }
        return (result, chosen);
    }

    /// <summary>Copies the elements of a (possibly strided) view out of its storage, in row-major order.</summary>
    private static byte[] Gather(byte[] storage, PyTensor tensor, string name)
    {
        var elementSize = tensor.DType.Size;
        var size = StateEntry.ByteSize(tensor.Shape, tensor.DType.Type, name);
        if (size == 0)
        {
            return [];
        }
        var storageElements = storage.LongLength / elementSize;
        long last;
        try
        {
            last = tensor.Offset;
            for (var d = 0; d < tensor.Shape.Length; d++)
            {
                last = checked(last + (tensor.Shape[d] - 1) * tensor.Stride[d]);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"the view of '{name}' overflows its storage");
        }
        if (last >= storageElements)
        {
            throw new InvalidDataException(
                $"tensor '{name}' {ShapeText.Of(tensor.Shape)} (offset {tensor.Offset}, stride " +
                $"{ShapeText.Of(tensor.Stride)}) reaches element {last} of a storage of {storageElements}");
        }

        if (StateEntry.Numel(tensor.Shape) > storageElements)
        {
            // Only views that repeat elements (a stride of 0, overlapping strides) can be larger than their storage.
            throw new InvalidDataException(
                $"tensor '{name}' {ShapeText.Of(tensor.Shape)} is an overlapping view with more elements than its storage " +
                $"({storageElements}), which is not supported");
        }
        var result = new byte[size];
        if (IsContiguous(tensor.Shape, tensor.Stride))
        {
            Buffer.BlockCopy(storage, checked((int)(tensor.Offset * elementSize)), result, 0, size);
            return result;
        }
        var rank = tensor.Shape.Length;
        var index = new long[rank];
        var source = tensor.Offset;
        for (var written = 0; written < size; written += elementSize)
        {
            Buffer.BlockCopy(storage, (int)(source * elementSize), result, written, elementSize);
            for (var d = rank - 1; d >= 0; d--)
            {
                source += tensor.Stride[d];
                if (++index[d] < tensor.Shape[d])
                {
                    break;
                }
                source -= tensor.Stride[d] * tensor.Shape[d];
                index[d] = 0;
            }
        }
        return result;
    }

    private static bool IsContiguous(long[] shape, long[] stride)
    {
        long expected = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] != 1 && stride[d] != expected)
            {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    private static byte[] ReadRecord(ZipArchiveEntry entry, long maxLength)
    {
        if (entry.Length > Array.MaxLength)
        {
            throw new InvalidDataException($"record '{entry.FullName}' is {entry.Length} bytes; records over {Array.MaxLength} bytes are not supported");
        }
        if (entry.Length > maxLength)
        {
            throw new InvalidDataException($"record '{entry.FullName}' is {entry.Length} bytes; at most {maxLength} were expected");
        }
        var buffer = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(buffer);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidDataException($"record '{entry.FullName}' cannot be read (truncated or corrupt: {e.Message})", e);
        }
        if (System.IO.Hashing.Crc32.HashToUInt32(buffer) != entry.Crc32)
        {
            throw new InvalidDataException($"record '{entry.FullName}' is corrupt (its CRC-32 does not match)");
        }
        return buffer;
    }

    private static void SwapBytes(byte[] bytes, DTypeInfo dtype)
    {
        // A complex number is two reals: each half is swapped on its own.
        var unit = dtype.Type switch
        {
            TorchSharp.torch.ScalarType.ComplexFloat32 => 4,
            TorchSharp.torch.ScalarType.ComplexFloat64 => 8,
            _ => dtype.Size,
        };
        if (unit == 1)
        {
            return;
        }
        for (var i = 0; i + unit <= bytes.Length; i += unit)
        {
            bytes.AsSpan(i, unit).Reverse();
        }
    }
}
