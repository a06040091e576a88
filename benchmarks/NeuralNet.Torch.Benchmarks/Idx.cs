using System.Buffers.Binary;
using System.IO.Compression;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>Reads gzip IDX files (MNIST's t10k images and labels).</summary>
internal static class Idx
{
    public static float[] ReadImages(string path, out int count)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var header = new byte[16];
        gzip.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != 0x803)
        {
            throw new InvalidDataException($"{path} is not an IDX image file.");
        }
        count = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        var pixels = new byte[count * 784];
        gzip.ReadExactly(pixels);
        return pixels.Select(p => p / 255f).ToArray();
    }

    public static byte[] ReadLabels(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var header = new byte[8];
        gzip.ReadExactly(header);
        var labels = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4))];
        gzip.ReadExactly(labels);
        return labels;
    }

    /// <summary>../shared/fixtures beside the repository (searched upwards from the working directory).</summary>
    public static string? SharedFixtures()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
