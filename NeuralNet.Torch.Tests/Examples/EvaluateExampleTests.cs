using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class EvaluateExampleTests
{
    private const string Usage =
        "(usage: Evaluate --weights FILE --images IDX --labels IDX [--variant quickstart|documented] [--batch-size N])";

    private static readonly Dictionary<string, string?> Cpu = new() { [Devices.EnvironmentVariable] = "cpu" };

    private string _folder = null!;
    private string _images = null!;
    private string _labels = null!;
    private string _weights = null!;

    [SetUp]
    public void WriteFiles()
    {
        _folder = Directory.CreateTempSubdirectory("neuralnet-evaluate-").FullName;
        var test = SyntheticImages.Create(100, seed: 4);
        _images = Path.Combine(_folder, "t10k-images-idx3-ubyte");
        _labels = Path.Combine(_folder, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(_images, test.ImagesFile);
        File.WriteAllBytes(_labels, IdxFiles.Gzip(test.LabelsFile));
        _weights = Path.Combine(_folder, "model.dat");
        TorchSharp.torch.manual_seed(1);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.save(_weights);
    }

    [TearDown]
    public void DeleteFiles() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Evaluate_SavedWeights_PrintsTheTestErrorBlock()
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _images, "--labels", _labels, "--batch-size", "32"], Cpu);

        exitCode.Should().Be(0, stderr);
        var lines = stdout.ReplaceLineEndings("\n").Split('\n');
        lines.Should().HaveCount(4);
        lines[0].Should().Be("Test Error: ");
        lines[1].Should().MatchRegex(@"^ Accuracy: \d{1,3}\.\d%, Avg loss: \d\.\d{6} $");
        lines[2].Should().BeEmpty();
        lines[3].Should().BeEmpty();
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
        var shortLabels = Path.Combine(_folder, "short-labels");
        File.WriteAllBytes(shortLabels, IdxFiles.Labels([1, 2, 3]));

        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _weights, "--images", _images, "--labels", shortLabels], Cpu);

        exitCode.Should().Be(1);
        stderr.TrimEnd().Should().Be($"error: Image/label counts differ: '{_images}' holds 100 images but '{shortLabels}' holds 3 labels.");
    }

    [Test]
    public void Evaluate_WeightsThatAreNotAModel_PrintsOneErrorLine()
    {
        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", _labels, "--images", _images, "--labels", _labels], Cpu);

        exitCode.Should().Be(1);
        stderr.Should().StartWith($"error: Cannot load weights from '{_labels}': ");
        stderr.TrimEnd().Should().NotContain("\n", "one line");
        stderr.Should().NotContain("   at ");
    }

    [Test]
    public void Evaluate_MissingWeightsFile_PrintsOneErrorLine()
    {
        var missing = Path.Combine(_folder, "absent.pth");

        var (exitCode, _, stderr) = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", missing, "--images", _images, "--labels", _labels], Cpu);

        exitCode.Should().Be(1);
        stderr.TrimEnd().Should().Be($"error: Weights file '{missing}' not found.");
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
}
