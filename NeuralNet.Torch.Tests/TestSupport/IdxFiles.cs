using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Builds IDX files (MNIST's format) in memory and on disk, for tests that must not depend on the shared
/// fixtures.</summary>
internal static class IdxFiles
{
    /// <summary>An IDX images file: magic 0x00000803, count, rows, columns (big-endian), then the pixels.</summary>
    public static byte[] Images(int count, int rows, int columns, byte[] pixels)
    {
        var bytes = new byte[16 + pixels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        pixels.CopyTo(bytes, 16);
        return bytes;
    }

    /// <summary>An IDX labels file: magic 0x00000801, count (big-endian), then the labels.</summary>
    public static byte[] Labels(byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>gzip-compresses bytes.</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }
        return output.ToArray();
    }

    /// <summary>Writes the four standard files of a dataset (train and t10k) into <paramref name="folder"/>, gzipped
    /// when <paramref name="gzip"/> is true.</summary>
    public static void WriteDataset(string folder, SyntheticImages train, SyntheticImages test, bool gzip = true)
    {
        Directory.CreateDirectory(folder);
        var suffix = gzip ? ".gz" : "";
        Write(Path.Combine(folder, "train-images-idx3-ubyte" + suffix), train.ImagesFile, gzip);
        Write(Path.Combine(folder, "train-labels-idx1-ubyte" + suffix), train.LabelsFile, gzip);
        Write(Path.Combine(folder, "t10k-images-idx3-ubyte" + suffix), test.ImagesFile, gzip);
        Write(Path.Combine(folder, "t10k-labels-idx1-ubyte" + suffix), test.LabelsFile, gzip);
    }

    private static void Write(string path, byte[] bytes, bool gzip) => File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
}
