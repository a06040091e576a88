using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Data;

public sealed class ImageDatasetTests
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
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

    [Test]
    public void FromIdxFiles_EveryByteValue_ScalesToFloat32ByDividingBy255()
    {
        // 256 images of 1x1: image i holds the byte i.
        var pixels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var images = Write("images", IdxFiles.Images(256, 1, 1, pixels));
        var labels = Write("labels", IdxFiles.Labels(pixels.Select(p => (byte)(p % 10)).ToArray()));

        using var dataset = ImageDataset.FromIdxFiles(images, labels, Digits);

        dataset.Images.dtype.Should().Be(ScalarType.Float32);
        dataset.Images.shape.Should().Equal(256, 1, 1, 1);
        var values = dataset.Images.data<float>().ToArray();
        for (var i = 0; i < 256; i++)
        {
            values[i].Should().Be(i / 255f, $"ToTensor divides by 255 in float32 (byte {i})");
        }
        values[0].Should().Be(0f);
        values[255].Should().Be(1f);
    }

    [Test]
    public void FromIdxFiles_SyntheticSet_HasShapeNx1x28x28AndInt64LabelsInFileOrder()
    {
        var data = SyntheticImages.Create(30, seed: 5);
        var images = Write("images.gz", IdxFiles.Gzip(data.ImagesFile));
        var labels = Write("labels", data.LabelsFile);

        using var dataset = ImageDataset.FromIdxFiles(images, labels, Digits);

        dataset.Count.Should().Be(30);
        dataset.Images.shape.Should().Equal(30, 1, 28, 28);
        dataset.Labels.dtype.Should().Be(ScalarType.Int64);
        dataset.Labels.shape.Should().Equal(30);
        dataset.Labels.data<long>().ToArray().Should().Equal(data.Labels.Select(l => (long)l));
        dataset.GetLabel(3).Should().Be(data.Labels[3]);
        using var image = dataset.GetImage(3);
        image.shape.Should().Equal(1, 1, 28, 28);
        image.data<float>().ToArray().Should().Equal(data.Pixels.Skip(3 * 784).Take(784).Select(b => b / 255f));
        dataset.ClassNames.Should().Equal(Digits);
    }

    [Test]
    public void FromIdxFiles_CountsDiffer_ThrowsNamingBothFiles()
    {
        var images = Write("images", IdxFiles.Images(3, 28, 28, new byte[3 * 784]));
        var labels = Write("labels", IdxFiles.Labels([1, 2]));

        var act = () => ImageDataset.FromIdxFiles(images, labels, Digits);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Image/label counts differ: '{images}' holds 3 images but '{labels}' holds 2 labels.")
            .Which.FilePath.Should().Be(labels);
    }

    [Test]
    public void FromIdxFiles_LabelOutsideTheClasses_ThrowsNamingLabelAndIndex()
    {
        var images = Write("images", IdxFiles.Images(3, 28, 28, new byte[3 * 784]));
        var labels = Write("labels", IdxFiles.Labels([1, 10, 2]));

        var act = () => ImageDataset.FromIdxFiles(images, labels, Digits);

        act.Should().Throw<IdxFormatException>()
            .WithMessage($"Invalid IDX file '{labels}': label 10 at index 1 is not a class (expected 0..9).");
    }

    [Test]
    public void Constructor_TakesItsOwnReference_CallerMayDisposeTheirTensors()
    {
        var images = torch.rand(4, 1, 28, 28);
        var labels = torch.tensor(new long[] { 0, 1, 2, 3 });
        using var expected = images.clone();

        using var dataset = new ImageDataset(images, labels, Digits);
        images.Dispose();
        labels.Dispose();

        dataset.Images.allclose(expected, rtol: 0, atol: 0).Should().BeTrue();
        dataset.Labels.data<long>().ToArray().Should().Equal(0, 1, 2, 3);
    }

    [Test]
    public void Constructor_WrongShapesOrTypes_ThrowsSayingWhatWasExpected()
    {
        using var images3d = torch.rand(4, 28, 28);
        using var bytes = torch.zeros(new long[] { 4, 1, 28, 28 }, ScalarType.Byte);
        using var images = torch.rand(4, 1, 28, 28);
        using var labels = torch.tensor(new long[] { 0, 1, 2, 3 });
        using var shortLabels = torch.tensor(new long[] { 0, 1, 2 });
        using var intLabels = torch.tensor(new[] { 0, 1, 2, 3 });
        using var badLabels = torch.tensor(new long[] { 0, 1, 2, 10 });

        FluentActions.Invoking(() => new ImageDataset(images3d, labels, Digits)).Should().Throw<ArgumentException>()
            .WithMessage("Expected images as a float32 CPU tensor [N, C, H, W]; found Float32 [4, 28, 28] on cpu*");
        FluentActions.Invoking(() => new ImageDataset(bytes, labels, Digits)).Should().Throw<ArgumentException>()
            .WithMessage("Expected images as a float32 CPU tensor [N, C, H, W]; found Byte [4, 1, 28, 28]*");
        FluentActions.Invoking(() => new ImageDataset(images, intLabels, Digits)).Should().Throw<ArgumentException>()
            .WithMessage("Expected labels as an int64 CPU tensor [N]; found Int32 [4]*");
        FluentActions.Invoking(() => new ImageDataset(images, shortLabels, Digits)).Should().Throw<ArgumentException>()
            .WithMessage("Expected one label per image; found 4 images and 3 labels.*");
        FluentActions.Invoking(() => new ImageDataset(images, badLabels, Digits)).Should().Throw<ArgumentException>()
            .WithMessage("Expected labels in 0..9 (10 classes); found labels from 0 to 10.*");
    }

    [Test]
    public void Dispose_FreesBothTensors_AndLaterUseThrows()
    {
        var data = SyntheticImages.Create(10, seed: 1);
        var images = Write("images", data.ImagesFile);
        var labels = Write("labels", data.LabelsFile);
        var before = LiveTensors.Settled();

        var dataset = ImageDataset.FromIdxFiles(images, labels, Digits);
        LiveTensors.Count.Should().Be(before + 2);
        dataset.Dispose();
        dataset.Dispose();

        LiveTensors.Count.Should().Be(before);
        FluentActions.Invoking(() => dataset.Images).Should().Throw<ObjectDisposedException>();
    }

    [Test]
    public void GetImage_OutOfRange_Throws()
    {
        using var images = torch.rand(2, 1, 28, 28);
        using var labels = torch.tensor(new long[] { 0, 1 });
        using var dataset = new ImageDataset(images, labels, Digits);

        FluentActions.Invoking(() => dataset.GetImage(2)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("Expected an index in 0..1.*");
        FluentActions.Invoking(() => dataset.GetLabel(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
