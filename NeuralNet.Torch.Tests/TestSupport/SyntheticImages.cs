namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Small, separable 28x28 images the tests make: class k (0..9) is a bright horizontal bar on rows
/// 2k+4 and 2k+5, over low random noise. A linear model separates them; the document's MLP learns them in a few
/// epochs at a learning rate of 0.1.</summary>
internal sealed class SyntheticImages
{
    private SyntheticImages(byte[] pixels, byte[] labels)
    {
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>All pixels, image after image, 784 bytes each.</summary>
    public byte[] Pixels { get; }

    /// <summary>One label per image, cycling 0..9 with a seeded shuffle.</summary>
    public byte[] Labels { get; }

    /// <summary>The number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The images as an IDX file's bytes.</summary>
    public byte[] ImagesFile => IdxFiles.Images(Count, 28, 28, Pixels);

    /// <summary>The labels as an IDX file's bytes.</summary>
    public byte[] LabelsFile => IdxFiles.Labels(Labels);

    /// <summary>Makes <paramref name="count"/> images; the same seed gives the same bytes.</summary>
    public static SyntheticImages Create(int count, int seed)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        random.Shuffle(labels);
        var pixels = new byte[count * 784];
        for (var i = 0; i < count; i++)
        {
            var image = pixels.AsSpan(i * 784, 784);
            for (var p = 0; p < 784; p++)
            {
                image[p] = (byte)random.Next(0, 48);
            }
            var top = 2 * labels[i] + 4;
            for (var row = top; row < top + 2; row++)
            {
                for (var column = 4; column < 24; column++)
                {
                    image[row * 28 + column] = (byte)random.Next(200, 256);
                }
            }
        }
        return new SyntheticImages(pixels, labels);
    }
}
