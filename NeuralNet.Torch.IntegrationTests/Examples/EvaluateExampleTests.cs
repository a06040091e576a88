using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Training;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class EvaluateExampleTests
{
    private const string Usage =
        "(usage: Evaluate --weights FILE --images IDX --labels IDX [--variant quickstart|documented] [--batch-size N] " +
        "[--confusion] [--plot FILE.png])";

    private static readonly Dictionary<string, string?> Cpu = new() { [Devices.EnvironmentVariable] = "cpu" };

    private TempFolder _temp = null!;
    private string _images = null!;
    private string _labels = null!;
    private string _weights = null!;

    [SetUp]
    public void WriteFiles()
    {
        _temp = new TempFolder();
        var test = SyntheticImages.Create(100, seed: 4);
        _images = _temp.File("t10k-images-idx3-ubyte");
        _labels = _temp.File("t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(_images, test.ImagesFile);
        File.WriteAllBytes(_labels, IdxFiles.Gzip(test.LabelsFile));
        _weights = _temp.File("model.pth");
        TorchSharp.torch.manual_seed(1);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.SaveCheckpoint(_weights);
    }

    [TearDown]
    public void DeleteFiles() => _temp.Dispose();

    [TestCase("model.pth")]
    [TestCase("model.safetensors")]
    [TestCase("model.dat")]
    public void Evaluate_WeightsInAnyCheckpointFormat_PrintTheSameTestErrorBlock(string fileName)
    {
        var weights = _temp.File(fileName);
        using (var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            model.LoadCheckpoint(_weights);
            model.SaveCheckpoint(weights);
        }
        var expected = ExpectedBlock(_weights, _images, _labels, batchSize: 32);

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", weights, "--images", _images, "--labels", _labels, "--batch-size", "32"], Cpu);

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        stdout.ReplaceLineEndings("\n").Should().Be(expected);
        expected.Should().MatchRegex(@"^Test Error: \n Accuracy: \d{1,3}\.\d%, Avg loss: \d\.\d{6} \n\n$");
    }

    [Test]
    [Category("SharedFixtures")]
    public void Evaluate_ARealTutorialCheckpointOnRealMnistImages_PrintsWhatTheLibraryComputes()
    {
        // FashionMNIST's test images are not in the fixtures, so the tutorial's 64.8% cannot be reproduced here;
        // this checks that the CLI reads a real torch.save file and real IDX files and reports the library's numbers.
        var weights = TestPaths.RequireSharedFixture("pytorch/AbirDey2002__pyTorch-Tutorial__model.pth");
        var images = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        var labels = TestPaths.RequireSharedFixture("mnist/t10k-labels-idx1-ubyte.gz");

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", weights, "--images", images, "--labels", labels], Cpu);

        exitCode.Should().Be(0, stderr);
        stdout.ReplaceLineEndings("\n").Should().Be(ExpectedBlock(weights, images, labels, batchSize: 64));
    }

    [Test]
    public void Evaluate_LabelsFileGivenAsImages_PrintsOneErrorLineNamingTheFile()
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _labels, "--labels", _labels], Cpu);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Should().Be(
            $"error: Invalid IDX file '{_labels}': wrong magic number 0x00000801 (an IDX labels file); expected 0x00000803 (IDX images: unsigned bytes, 3 dimensions).");
    }

    [Test]
    public void Evaluate_CountsDiffer_PrintsOneErrorLineNamingBothFiles()
    {
        var shortLabels = _temp.File("short-labels");
        File.WriteAllBytes(shortLabels, IdxFiles.Labels([1, 2, 3]));

        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _images, "--labels", shortLabels], Cpu);

        exitCode.Should().Be(1);
        stderr.TrimEnd().Should().Be($"error: Image/label counts differ: '{_images}' holds 100 images but '{shortLabels}' holds 3 labels.");
    }

    [Test]
    public void Evaluate_WeightsThatAreNotACheckpoint_PrintsOneErrorLineNamingTheFile()
    {
        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _labels, "--images", _images, "--labels", _labels], Cpu);

        exitCode.Should().Be(1);
        stderr.Should().StartWith($"error: Cannot read checkpoint '{_labels}': it is not a checkpoint in a known format");
        stderr.TrimEnd().Should().NotContain("\n", "one line");
        stderr.Should().NotContain("   at ");
    }

    [Test]
    public void Evaluate_MissingWeightsFile_PrintsOneErrorLine()
    {
        var missing = _temp.File("absent.pth");

        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", missing, "--images", _images, "--labels", _labels], Cpu);

        exitCode.Should().Be(1);
        stderr.TrimEnd().Should().Be($"error: Cannot read checkpoint '{missing}': the file does not exist.");
    }

    [TestCase(new[] { "--images", "x" }, "--weights FILE, --labels IDX are required")]
    [TestCase(new[] { "--weights", "w", "--images", "x", "--labels", "y", "--batch-size", "0" }, "--batch-size expects a whole number of at least 1, found '0'")]
    [TestCase(new[] { "--weights", "w", "--images", "x", "--labels", "y", "--variant", "x" }, "--variant expects 'quickstart' or 'documented', found 'x'")]
    [TestCase(new[] { "--frobnicate" }, "unknown argument '--frobnicate'")]
    public void Evaluate_BadArguments_PrintsOneErrorLineWithTheUsage(string[] arguments, string message)
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate", arguments);

        exitCode.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Should().Be($"error: {message} {Usage}");
    }

    [Test]
    public void Evaluate_Confusion_PrintsTheMatrixAfterTheBlock_AndPlotWritesAPng()
    {
        var png = _temp.File("confusion.png");
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(_weights);
        using var data = ImageDataset.FromIdxFiles(_images, _labels, IdxDatasetSource.FashionMnist.ClassNames);
        using var loader = new BatchLoader(data);
        var expected = Trainer.Evaluate(model, loader).Confusion!.ToText(IdxDatasetSource.FashionMnist.ClassNames);

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _images, "--labels", _labels, "--confusion", "--plot", png], Cpu);

        exitCode.Should().Be(0, stderr);
        stdout.ReplaceLineEndings("\n").Should().Be(
            ExpectedBlock(_weights, _images, _labels, batchSize: 64) + expected + $"confusion matrix plot written to {png}\n");
        expected.Split('\n')[0].Should().StartWith("actual \\ predicted  T-shirt/top");
        var bytes = File.ReadAllBytes(png);
        bytes.Take(4).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)).Should().Be(900);
    }

    [Test]
    public void Evaluate_PlotIntoAMissingFolder_PrintsOneErrorLine()
    {
        var png = Path.Combine(_temp.File("missing"), "confusion.png");

        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _images, "--labels", _labels, "--plot", png], Cpu);

        exitCode.Should().Be(1);
        stderr.ReplaceLineEndings("\n").Should().StartWith("error: ").And.EndWith("\n");
        stderr.TrimEnd().Should().NotContain("\n").And.NotContain("   at ");
    }

    // The block the library prints for the same weights and files (Trainer.Evaluate, unshuffled batches).
    private static string ExpectedBlock(string weights, string images, string labels, int batchSize)
    {
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(weights);
        using var data = ImageDataset.FromIdxFiles(images, labels, IdxDatasetSource.FashionMnist.ClassNames);
        using var loader = new BatchLoader(data, batchSize);
        var output = new StringWriter { NewLine = "\n" };
        Trainer.Evaluate(model, loader, new TrainingOptions { Output = output });
        return output.ToString();
    }
}
