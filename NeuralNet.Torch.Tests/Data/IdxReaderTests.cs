using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Data;

public sealed class IdxReaderTests
{
    private TempFolder _temp = null!;
    private string _folder = null!;

    [SetUp]
    public void CreateFolder()
    {
        _temp = new TempFolder();
        _folder = _temp.Path;
    }

    [TearDown]
    public void DeleteFolder() => _temp.Dispose();

    [TestCase("images", false)]
    [TestCase("images.gz", true)]
    [TestCase("images-gzipped-without-gz-name", true)]
    public void ReadImages_RawOrGzip_ReturnsHeaderDimensionsAndPixelsInOrder(string name, bool gzip)
    {
        var pixels = Enumerable.Range(0, 3 * 2 * 4).Select(i => (byte)(i * 10)).ToArray();
        var path = Write(name, IdxFiles.Images(3, 2, 4, pixels), gzip);

        var images = IdxReader.ReadImages(path);

        images.Count.Should().Be(3);
        images.Rows.Should().Be(2);
        images.Columns.Should().Be(4);
        images.Pixels.Should().Equal(pixels);
    }

    [TestCase("labels", false)]
    [TestCase("labels.gz", true)]
    public void ReadLabels_RawOrGzip_ReturnsTheLabelsInOrder(string name, bool gzip)
    {
        var path = Write(name, IdxFiles.Labels([7, 2, 1, 0, 4, 255]), gzip);

        IdxReader.ReadLabels(path).Should().Equal(7, 2, 1, 0, 4, 255);
    }

    [Test]
    public void ReadImages_ZeroImages_ReturnsAnEmptySet()
    {
        var path = Write("empty-set", IdxFiles.Images(0, 28, 28, []), gzip: false);

        var images = IdxReader.ReadImages(path);

        images.Count.Should().Be(0);
        images.Pixels.Should().BeEmpty();
    }

    [Test]
    public void ReadImages_ALabelsFile_ThrowsWrongMagicNamingBothKinds()
    {
        var path = Write("labels-not-images", IdxFiles.Labels([1, 2, 3]), gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{path}': wrong magic number 0x00000801 (an IDX labels file); expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions).")
            .Which.FilePath.Should().Be(path);
    }

    [Test]
    public void ReadLabels_AnImagesFile_ThrowsWrongMagic()
    {
        var path = Write("images.gz", IdxFiles.Images(1, 1, 1, [0]), gzip: true);

        var act = () => IdxReader.ReadLabels(path);

        act.Should().Throw<IdxFormatException>().WithMessage(
            $"Invalid IDX file '{path}': wrong magic number 0x00000803 (an IDX images file); expected 0x00000801 (IDX labels: unsigned bytes, 1 dimension).");
    }

    [Test]
    public void ReadImages_NotAnIdxFile_ThrowsWrongMagicSayingSo()
    {
        var path = Write("text", "hello, world"u8.ToArray(), gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage("*wrong magic number 0x68656c6c (not an IDX file); expected 0x00000803*");
    }

    [Test]
    public void ReadImages_EmptyFile_ThrowsSayingItIsEmpty()
    {
        var path = Write("empty", [], gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{path}': the file is empty (0 bytes); expected an IDX images file (magic 0x00000803).");
    }

    [Test]
    public void ReadImages_TruncatedPixels_ThrowsWithAnnouncedAndFoundSizes()
    {
        var full = IdxFiles.Images(2, 28, 28, new byte[2 * 784]);
        var path = Write("short", full[..^100], gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage(
            $"Invalid IDX file '{path}': truncated: the header announces 2 images of 28x28 (1568 bytes after the 16-byte header), but only 1468 follow.");
    }

    [Test]
    public void ReadImages_TruncatedGzip_ThrowsTruncated()
    {
        var full = IdxFiles.Images(2, 28, 28, new byte[2 * 784]);
        var path = Write("short.gz", full[..^100], gzip: true);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage(
            "*truncated: the header announces 2 images of 28x28 (1568 bytes after the 16-byte header), but only 1468 follow in the decompressed data.");
    }

    [Test]
    public void ReadImages_GzipFileCutShort_ThrowsAndNamesTheFile()
    {
        var random = new Random(1);
        var pixels = new byte[50 * 784];
        random.NextBytes(pixels); // incompressible, so cutting the gzip stream cuts the data
        var gz = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28, pixels));
        var path = Path.Combine(_folder, "cut.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage($"Invalid IDX file '{path}': *")
            .Which.FilePath.Should().Be(path);
    }

    [Test]
    public void ReadImages_TruncatedHeader_Throws()
    {
        var path = Write("header", IdxFiles.Images(1, 28, 28, new byte[784])[..10], gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{path}': truncated: the file ends after 10 byte(s), inside the 16-byte header.");
    }

    [Test]
    public void ReadLabels_ExtraBytesAfterTheLabels_Throws()
    {
        var path = Write("long", [.. IdxFiles.Labels([1, 2, 3]), 9, 9], gzip: false);

        var act = () => IdxReader.ReadLabels(path);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{path}': 2 unexpected byte(s) follow the 3 labels (3 bytes after the 8-byte header).");
    }

    [Test]
    public void ReadImages_ZeroRows_Throws()
    {
        var path = Write("flat", IdxFiles.Images(5, 0, 28, []), gzip: false);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage("*the header announces images of 0x28 pixels; rows and columns must be at least 1.");
    }

    [Test]
    public void ReadImages_HugeDimensionsInATinyFile_ThrowsWithoutAllocating()
    {
        var path = Write("huge.gz", IdxFiles.Images(int.MaxValue, 28, 28, []), gzip: true);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage("*the header announces 2147483647 images of 28x28, more than*bytes.");
    }

    [Test]
    public void ReadImages_NamedGzButNotGzip_ThrowsSayingSo()
    {
        var path = Path.Combine(_folder, "t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, IdxFiles.Images(1, 28, 28, new byte[784]));

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage(
            $"Invalid IDX file '{path}': the file is named .gz but is not gzip-compressed (it starts with 00 00, not the gzip magic bytes 1f 8b).");
    }

    [Test]
    public void ReadImages_CorruptGzipData_ThrowsNamingTheFile()
    {
        var gz = IdxFiles.Gzip(IdxFiles.Images(1, 28, 28, new byte[784]));
        for (var i = 10; i < gz.Length - 8; i++)
        {
            gz[i] = 0xff;
        }
        var path = Path.Combine(_folder, "corrupt.gz");
        File.WriteAllBytes(path, gz);

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<IdxFormatException>().WithMessage($"Invalid IDX file '{path}': *");
    }

    [Test]
    public void ReadImages_MissingFile_ThrowsFileNotFound()
    {
        var path = Path.Combine(_folder, "absent");

        var act = () => IdxReader.ReadImages(path);

        act.Should().Throw<FileNotFoundException>().Which.FileName.Should().Be(path);
    }

    [Test]
    [Category("SharedFixtures")]
    public void ReadImages_RealMnistTestSet_Has10000ImagesOf28x28()
    {
        var path = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");

        var images = IdxReader.ReadImages(path);

        images.Count.Should().Be(10_000);
        images.Rows.Should().Be(28);
        images.Columns.Should().Be(28);
        images.Pixels.Should().HaveCount(7_840_000);
        images.Pixels.AsSpan(0, 28).ToArray().Should().OnlyContain(b => b == 0, "MNIST digits sit inside a blank border");
        images.Pixels.AsSpan(0, 784).ToArray().Max().Should().Be(255, "each MNIST digit reaches full intensity");
    }

    [Test]
    [Category("SharedFixtures")]
    public void ReadLabels_RealMnistTestLabels_Start72104()
    {
        var path = TestPaths.RequireSharedFixture("mnist/t10k-labels-idx1-ubyte.gz");

        var labels = IdxReader.ReadLabels(path);

        labels.Should().HaveCount(10_000);
        labels.Take(5).Should().Equal(7, 2, 1, 0, 4);
        labels.Should().OnlyContain(l => l <= 9);
    }

    [Test]
    [Category("SharedFixtures")]
    public void ReadLabels_RealFashionMnistTestLabels_Start92116()
    {
        var path = TestPaths.RequireSharedFixture("fashionmnist/t10k-labels-idx1-ubyte.gz");

        var labels = IdxReader.ReadLabels(path);

        labels.Should().HaveCount(10_000);
        labels.Take(5).Should().Equal(9, 2, 1, 1, 6);
        labels.GroupBy(l => l).Should().HaveCount(10).And.OnlyContain(g => g.Count() == 1000, "the FashionMNIST test set is balanced");
    }

    private string Write(string name, byte[] bytes, bool gzip)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, gzip ? IdxFiles.Gzip(bytes) : bytes);
        return path;
    }
}
