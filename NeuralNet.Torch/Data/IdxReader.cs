using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralNet.Torch.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and FashionMNIST: a big-endian magic number (<c>0x00000803</c> for images,
/// <c>0x00000801</c> for labels: two zero bytes, type code <c>0x08</c> = unsigned byte, the number of dimensions),
/// one big-endian 32-bit size per dimension, then the bytes.
/// </summary>
/// <remarks>
/// <para>Files may be raw or gzip-compressed; gzip is recognised by its magic bytes <c>1f 8b</c>, whatever the
/// name. A file whose name ends in <c>.gz</c> but is not gzip is refused.</para>
/// <para>Everything is checked before it is trusted: the magic number, each dimension (at most
/// <see cref="int.MaxValue"/>; rows and columns at least 1), and that exactly as many bytes follow the header as it
/// announces. Every problem raises <see cref="IdxFormatException"/> with the file's path and what is wrong in the
/// message.</para>
/// </remarks>
internal static class IdxReader
{
    /// <summary>The magic number of an images file: unsigned bytes, three dimensions (count, rows, columns).</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of a labels file: unsigned bytes, one dimension (count).</summary>
    public const int LabelsMagic = 0x00000801;

    private const int CopyChunk = 1 << 16;

    /// <summary>Reads an IDX images file (<c>*-images-idx3-ubyte</c>, raw or <c>.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The images' count, size and pixels.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">The file is empty, truncated, has another magic number (for example a
    /// labels file), images of 0 rows or columns, bytes after the announced data, corrupt gzip data, or is named
    /// <c>.gz</c> without being gzip.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static IdxImages ReadImages(string path)
    {
        var (dimensions, data) = Read(path, ImagesMagic);
        return new IdxImages(dimensions[0], dimensions[1], dimensions[2], data);
    }

    /// <summary>Reads an IDX labels file (<c>*-labels-idx1-ubyte</c>, raw or <c>.gz</c>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>One byte per label, in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IdxFormatException">The file is empty, truncated, has another magic number (for example an
    /// images file), bytes after the announced labels, corrupt gzip data, or is named <c>.gz</c> without being gzip.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static byte[] ReadLabels(string path) => Read(path, LabelsMagic).Data;

    private static (int[] Dimensions, byte[] Data) Read(string path, int expectedMagic)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: CopyChunk);
        var kind = expectedMagic == ImagesMagic ? "images" : "labels";
        if (file.Length == 0)
        {
            throw Error(path, $"the file is empty (0 bytes); expected an IDX {kind} file (magic 0x{expectedMagic:x8}).");
        }
        Span<byte> head = stackalloc byte[2];
        var headLength = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        var isGzip = headLength == 2 && head[0] == 0x1f && head[1] == 0x8b;
        if (!isGzip && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            var start = string.Join(' ', head[..headLength].ToArray().Select(b => b.ToString("x2")));
            throw Error(path, $"the file is named .gz but is not gzip-compressed (it starts with {start}, not the gzip magic bytes 1f 8b).");
        }
        if (!isGzip)
        {
            return ReadContent(file, file.Length, path, expectedMagic, kind, "the file");
        }
        using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return ReadContent(gzip, length: null, path, expectedMagic, kind, "the decompressed data");
        }
        catch (InvalidDataException e)
        {
            throw Error(path, $"the gzip data is corrupt ({e.Message})", e);
        }
    }

    private static (int[] Dimensions, byte[] Data) ReadContent(
        Stream stream, long? length, string path, int expectedMagic, string kind, string source)
    {
        var rank = expectedMagic & 0xff;
        var headerLength = 4 + 4 * rank;
        var header = new byte[headerLength];
        var got = stream.ReadAtLeast(header, headerLength, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw Error(path, $"truncated: {source} ends after {got} byte(s), inside the 4-byte magic number.");
        }
        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        if (magic != expectedMagic)
        {
            throw Error(path, $"wrong magic number 0x{magic:x8}{DescribeMagic(header)}; expected 0x{expectedMagic:x8} " +
                              $"(IDX {kind}: unsigned bytes, {rank} dimension{(rank == 1 ? "" : "s")}).");
        }
        if (got < headerLength)
        {
            throw Error(path, $"truncated: {source} ends after {got} byte(s), inside the {headerLength}-byte header.");
        }

        var dimensions = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 + 4 * i));
            if (size > int.MaxValue)
            {
                throw Error(path, $"dimension {i} of the header is {size}, more than {int.MaxValue}.");
            }
            dimensions[i] = (int)size;
        }
        if (dimensions.Aggregate(1.0, (product, size) => product * size) > Array.MaxLength)
        {
            throw Error(path, $"the header announces {Describe(kind, dimensions)}, more than {Array.MaxLength} bytes.");
        }
        var total = dimensions.Aggregate(1L, (product, size) => product * size);
        if (rank == 3 && (dimensions[1] == 0 || dimensions[2] == 0))
        {
            throw Error(path, $"the header announces images of {dimensions[1]}x{dimensions[2]} pixels; rows and columns must be at least 1.");
        }

        var announced = $"{Describe(kind, dimensions)} ({total} bytes after the {headerLength}-byte header)";
        if (length is { } fileLength)
        {
            var remaining = fileLength - headerLength;
            if (remaining < total)
            {
                throw Error(path, $"truncated: the header announces {announced}, but only {remaining} follow.");
            }
            if (remaining > total)
            {
                throw Error(path, $"{remaining - total} unexpected byte(s) follow the {announced}.");
            }
            var data = new byte[total];
            stream.ReadExactly(data);
            return (dimensions, data);
        }

        using var buffer = new MemoryStream((int)Math.Min(total, 1 << 24));
        var chunk = new byte[CopyChunk];
        while (buffer.Length < total)
        {
            var read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, total - buffer.Length));
            if (read == 0)
            {
                throw Error(path, $"truncated: the header announces {announced}, but only {buffer.Length} follow in {source}.");
            }
            buffer.Write(chunk, 0, read);
        }
        long extra = 0;
        for (var read = stream.Read(chunk); read > 0; read = stream.Read(chunk))
        {
            extra += read;
        }
        if (extra > 0)
        {
            throw Error(path, $"{extra} unexpected byte(s) follow the {announced} in {source}.");
        }
        var bytes = buffer.Capacity == total ? buffer.GetBuffer() : buffer.ToArray();
        return (dimensions, bytes);
    }

    private static string Describe(string kind, int[] dimensions) => kind == "labels"
        ? $"{dimensions[0]} labels"
        : $"{dimensions[0]} images of {dimensions[1]}x{dimensions[2]}";

    private static string DescribeMagic(byte[] header)
    {
        var magic = BinaryPrimitives.ReadInt32BigEndian(header);
        return magic switch
        {
            ImagesMagic => " (an IDX images file)",
            LabelsMagic => " (an IDX labels file)",
            _ when header[0] == 0 && header[1] == 0 =>
                $" (an IDX file of type code 0x{header[2]:x2} with {header[3]} dimension{(header[3] == 1 ? "" : "s")})",
            _ => " (not an IDX file)",
        };
    }

    private static IdxFormatException Error(string path, string problem, Exception? inner = null) =>
        new(path, $"Invalid IDX file '{path}': {problem}", inner);
}
