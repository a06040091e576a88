using System.Buffers.Binary;
using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>Writes a zip archive of uncompressed ("stored") records whose data start at 64-byte boundaries, as
/// PyTorch's <c>PyTorchStreamWriter</c> does (the padding goes in an extra field with id <c>FB</c>, filled with
/// <c>Z</c>, like PyTorch's).</summary>
/// <remarks>Sizes and CRC-32 are written in each local header (no data descriptors), so any zip reader reads the
/// archive. Zip64 is not written: an archive over 4 GiB or 65,534 records is refused.</remarks>
internal sealed class ZipWriter
{
    /// <summary>PyTorch's record alignment (<c>.storage_alignment</c>).</summary>
    public const int Alignment = 64;

    private const ushort DosDate1980 = (1 << 5) | 1; // 1980-01-01, the zip epoch: the output does not depend on the clock
    private readonly Stream _output;
    private readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> _records = [];
    private long _position;

    public ZipWriter(Stream output) => _output = output;

    /// <summary>Adds one record.</summary>
    /// <exception cref="IOException">The archive would need zip64.</exception>
    public void Add(string name, ReadOnlySpan<byte> data)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var headerEnd = _position + 30 + nameBytes.Length;
        var padding = (int)((Alignment - headerEnd % Alignment) % Alignment);
        if (padding is > 0 and < 4)
        {
            padding += Alignment; // an extra field needs 4 bytes of its own header
        }
        if (_position > uint.MaxValue - 1 || (ulong)data.Length > uint.MaxValue - 1 || _records.Count >= ushort.MaxValue - 1)
        {
            throw new IOException("the archive would exceed 4 GiB or 65,534 records, which needs zip64 (not supported)");
        }
        var crc = System.IO.Hashing.Crc32.HashToUInt32(data);
        var header = new byte[30 + nameBytes.Length + padding];
        var span = header.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], 20);               // version needed: 2.0
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], Flags(nameBytes));
        BinaryPrimitives.WriteUInt16LittleEndian(span[8..], 0);                // method: stored
        BinaryPrimitives.WriteUInt16LittleEndian(span[10..], 0);               // time
        BinaryPrimitives.WriteUInt16LittleEndian(span[12..], DosDate1980);
        BinaryPrimitives.WriteUInt32LittleEndian(span[14..], crc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[18..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(span[22..], (uint)data.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[26..], (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[28..], (ushort)padding);
        nameBytes.CopyTo(span[30..]);
        if (padding > 0)
        {
            var extra = span[(30 + nameBytes.Length)..];
            extra[0] = (byte)'F';
            extra[1] = (byte)'B';
            BinaryPrimitives.WriteUInt16LittleEndian(extra[2..], (ushort)(padding - 4));
            extra[4..].Fill((byte)'Z');
        }
        _records.Add((nameBytes, crc, (uint)data.Length, (uint)_position));
        Write(header);
        Write(data);
    }

    /// <summary>Writes the central directory and the end record. The stream is left open.</summary>
    public void Finish()
    {
        var directoryStart = _position;
        foreach (var (name, crc, size, offset) in _records)
        {
            var entry = new byte[46 + name.Length];
            var span = entry.AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(span, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(span[4..], 20);           // version made by: 2.0, MS-DOS attributes
            BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 20);
            BinaryPrimitives.WriteUInt16LittleEndian(span[8..], Flags(name));
            BinaryPrimitives.WriteUInt16LittleEndian(span[10..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(span[12..], 0);
            BinaryPrimitives.WriteUInt16LittleEndian(span[14..], DosDate1980);
            BinaryPrimitives.WriteUInt32LittleEndian(span[16..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(span[20..], size);
            BinaryPrimitives.WriteUInt32LittleEndian(span[24..], size);
            BinaryPrimitives.WriteUInt16LittleEndian(span[28..], (ushort)name.Length);
            // extra length, comment length, disk number, internal and external attributes: 0
            BinaryPrimitives.WriteUInt32LittleEndian(span[42..], offset);
            name.CopyTo(span[46..]);
            Write(entry);
        }
        var directorySize = _position - directoryStart;
        if (_position > uint.MaxValue - 1)
        {
            throw new IOException("the archive would exceed 4 GiB, which needs zip64 (not supported)");
        }
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), (ushort)_records.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), (ushort)_records.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), (uint)directoryStart);
        Write(end);
    }

    // Bit 11: the name is UTF-8 (only set where it is not plain ASCII).
    private static ushort Flags(byte[] nameBytes) =>
        nameBytes.Any(b => b >= 0x80) ? (ushort)0x0800 : (ushort)0;

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        _position += bytes.Length;
    }
}
