using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Reads the first images of a gzip IDX image file (MNIST's <c>t10k-images-idx3-ubyte.gz</c>).</summary>
internal static class MnistImages
{
    /// <summary>The first <paramref name="count"/> images as float32 <c>[count, 28, 28]</c>, pixels / 255 (ToTensor's scaling).</summary>
    public static Tensor ReadFirst(string gzipPath, int count)
    {
        using var file = File.OpenRead(gzipPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var header = new byte[16];
        gzip.ReadExactly(header);
        BinaryPrimitives.ReadUInt32BigEndian(header).Should().Be(0x00000803u, "an IDX file of unsigned bytes with 3 dimensions");
        BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)).Should().BeGreaterThanOrEqualTo(count);
        BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8)).Should().Be(28);
        BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(12)).Should().Be(28);
        var pixels = new byte[count * 28 * 28];
        gzip.ReadExactly(pixels);
        return torch.tensor(pixels.Select(p => p / 255f).ToArray(), [count, 28, 28]);
    }
}
