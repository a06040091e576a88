using System.Buffers.Binary;
using System.Text.RegularExpressions;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class TrainExampleTests
{
    private static readonly Dictionary<string, string?> Cpu = new() { [Devices.EnvironmentVariable] = "cpu" };
    private static readonly string[] FashionClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private TempFolder _temp = null!;
    private string _data = null!;
    private SyntheticImages _test = null!;

    [SetUp]
    public void WriteData()
    {
        _temp = new TempFolder();
        _data = _temp.File("data");
        _test = SyntheticImages.Create(64, seed: 2);
        IdxFiles.WriteDataset(_data, SyntheticImages.Create(256, seed: 1), _test);
    }

    [TearDown]
    public void DeleteData() => _temp.Dispose();

    [Test]
    public void Train_TinyDataTwoEpochs_PrintsTheTutorialsLinesAndWritesModelAndPlot()
    {
        var outDir = _temp.File("out");

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("06-Train", "Train",
            ["--data", _data, "--epochs", "2", "--out", outDir, "--seed", "1"], Cpu);

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        var lines = Lines(stdout);
        lines.Should().HaveCount(19);
        lines[0].Should().Be("Using cpu device");
        for (var e = 0; e < 2; e++)
        {
            var block = lines[(1 + 6 * e)..(7 + 6 * e)];
            block[0].Should().Be($"Epoch {e + 1}");
            block[1].Should().Be("-------------------------------");
            block[2].Should().MatchRegex(@"^loss: \d\.\d{6}  \[   64/  256\]$");
            block[3].Should().Be("Test Error: ");
            block[4].Should().MatchRegex(@"^ Accuracy: \d{1,3}\.\d%, Avg loss: \d\.\d{6} $");
            block[5].Should().BeEmpty();
        }
        lines[13].Should().Be("Done!");
        var png = Path.Combine(outDir, "training.png");
        lines[14].Should().Be($"plot written to {png}");
        var modelPath = Path.Combine(outDir, "model.pth");
        lines[15].Should().Be($"Saved PyTorch Model State to {modelPath}");
        lines[16].Should().Be("<All keys matched successfully>", "the weights are loaded back into a fresh model");
        var match = Regex.Match(lines[17], "^Predicted: \"(.+)\", Actual: \"(.+)\"$");
        match.Success.Should().BeTrue(lines[17]);
        FashionClasses.Should().Contain(match.Groups[1].Value);
        match.Groups[2].Value.Should().Be(FashionClasses[_test.Labels[0]]);
        lines[18].Should().BeEmpty();

        Checkpoint.DetectFormat(modelPath).Should().Be(CheckpointFormat.PyTorch, "model.pth is what torch.load reads");
        var bytes = File.ReadAllBytes(png);
        bytes.Take(8).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a });
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).Should().Be("IHDR");
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)).Should().Be(800);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)).Should().Be(500);

        // The saved weights, evaluated on the same test files with the same batch size, give the last epoch's block.
        var evaluation = ProcessRunner.RunExample("07-Evaluate", "Evaluate",
            ["--weights", modelPath, "--images", Path.Combine(_data, "t10k-images-idx3-ubyte.gz"),
             "--labels", Path.Combine(_data, "t10k-labels-idx1-ubyte.gz")], Cpu);
        evaluation.ExitCode.Should().Be(0, evaluation.StandardError);
        Lines(evaluation.StandardOutput).Should().Equal(lines[10], lines[11], lines[12], "");
    }

    [Test]
    public void Train_NoDataFiles_PrintsOneErrorLineNamingTheMissingFile()
    {
        var empty = Directory.CreateDirectory(_temp.File("empty")).FullName;

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", empty], Cpu);

        exitCode.Should().Be(1);
        stdout.Should().Be("Using cpu device" + Environment.NewLine);
        Lines(stderr).Should().Equal(
            $"error: FashionMNIST file train-images-idx3-ubyte not found: looked for train-images-idx3-ubyte and train-images-idx3-ubyte.gz " +
            $"in '{empty}' and '{Path.Combine(empty, "FashionMNIST", "raw")}'. Download it with DownloadAsync (or --download).", "");
    }

    [Test]
    public void Train_BadImagesFile_PrintsOneErrorLineNamingTheFile()
    {
        var images = Path.Combine(_data, "train-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, IdxFiles.Gzip(IdxFiles.Labels([1, 2, 3])));

        var (exitCode, _, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", _data], Cpu);

        exitCode.Should().Be(1);
        Lines(stderr).Should().Equal(
            $"error: Invalid IDX file '{images}': wrong magic number 0x00000801 (an IDX labels file); expected 0x00000803 " +
            "(IDX images: unsigned bytes, 3 dimensions).", "");
    }

    [Test]
    public void Train_DownloadFromAMirrorThatAnswers404_ReportsEachUrlInOneErrorLine()
    {
        using var server = new LoopbackHttpServer(_ => LoopbackHttpServer.NotFound());
        var cache = _temp.File("cache");

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("06-Train", "Train",
            ["--data", cache, "--download", "--mirror", server.BaseUri.AbsoluteUri], Cpu);

        exitCode.Should().Be(1);
        var url = $"{server.BaseUri}train-images-idx3-ubyte.gz";
        Lines(stdout).Should().Equal(
            "Using cpu device",
            $"Downloading {url} to {Path.Combine(cache, "train-images-idx3-ubyte.gz")}",
            $"Failed to download (trying next): {url}: HTTP 404 (Not Found)",
            "");
        Lines(stderr).Should().Equal($"error: Could not download train-images-idx3-ubyte.gz: {url}: HTTP 404 (Not Found)", "");
        Directory.GetFiles(cache).Should().BeEmpty();
    }

    [TestCase("--bogus", "unknown argument '--bogus'")]
    [TestCase("--epochs", "--epochs needs a value")]
    [TestCase("--epochs=3", "unknown argument '--epochs=3'")]
    public void Train_BadArguments_PrintsOneErrorLineWithTheUsage(string argument, string message)
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", _data, argument]);

        exitCode.Should().Be(2);
        stdout.Should().BeEmpty();
        Lines(stderr).Should().Equal(
            $"error: {message} (usage: Train --data DIR [--download] [--epochs N] [--out DIR] [--batch-size N] [--lr X] " +
            "[--variant quickstart|documented] [--seed N] [--mirror URL] [--optimizer sgd|adam|adamw] [--momentum X] " +
            "[--scheduler step|cosine] [--checkpoints DIR [--resume]])", "");
    }

    [TestCase("--epochs", "0", "--epochs expects a whole number of at least 1, found '0'")]
    [TestCase("--lr", "-1", "--lr expects a positive number, found '-1'")]
    [TestCase("--variant", "big", "--variant expects 'quickstart' or 'documented', found 'big'")]
    [TestCase("--mirror", "ftp://x/", "--mirror expects an http(s) URL, found 'ftp://x/'")]
    [TestCase("--optimizer", "lbfgs", "--optimizer expects 'sgd', 'adam' or 'adamw', found 'lbfgs'")]
    [TestCase("--scheduler", "linear", "--scheduler expects 'step' or 'cosine', found 'linear'")]
    [TestCase("--momentum", "1.5", "--momentum expects a number in [0, 1), found '1.5'")]
    public void Train_BadOptionValue_PrintsOneErrorLine(string option, string value, string message)
    {
        var (exitCode, _, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", _data, option, value]);

        exitCode.Should().Be(2);
        stderr.Should().StartWith($"error: {message} (usage: ");
        stderr.Should().NotContain("   at ");
    }

    [Test]
    public void Train_AdamStepLrWithCheckpoints_StoppedAfterEpoch2ThenResumed_PrintsTheUninterruptedRunsEpoch3()
    {
        string[] Common(string checkpoints) =>
            ["--data", _data, "--out", _temp.File("out"), "--seed", "3", "--optimizer", "adam", "--scheduler", "step", "--checkpoints", checkpoints];
        var straightDir = _temp.File("straight");
        var resumedDir = _temp.File("resumed");

        var straight = ProcessRunner.RunExample("06-Train", "Train", [.. Common(straightDir), "--epochs", "3"], Cpu);
        var stopped = ProcessRunner.RunExample("06-Train", "Train", [.. Common(resumedDir), "--epochs", "2"], Cpu);
        var resumed = ProcessRunner.RunExample("06-Train", "Train", [.. Common(resumedDir), "--epochs", "3", "--resume"], Cpu);

        straight.ExitCode.Should().Be(0, straight.StandardError);
        stopped.ExitCode.Should().Be(0, stopped.StandardError);
        resumed.ExitCode.Should().Be(0, resumed.StandardError);
        Directory.GetFiles(resumedDir).Select(Path.GetFileName).Order().Should().Equal("checkpoint.json", "epoch-0003.pth", "epoch-0003.state");
        var lines = Lines(resumed.StandardOutput);
        lines[0].Should().Be("Using cpu device");
        lines[1].Should().Be($"Resuming after epoch 2 from {Path.Combine(resumedDir, "epoch-0002.pth")}");
        lines.Skip(2).TakeWhile(l => l != "Done!").Should().Equal(
            Lines(straight.StandardOutput).SkipWhile(l => l != "Epoch 3").TakeWhile(l => l != "Done!"),
            "the resumed epoch 3 prints what the uninterrupted run printed");
        File.ReadAllBytes(Path.Combine(resumedDir, "epoch-0003.pth")).Should().Equal(File.ReadAllBytes(Path.Combine(straightDir, "epoch-0003.pth")));
    }

    [Test]
    public void Train_ResumeWithoutCheckpoints_PrintsOneErrorLine()
    {
        var (exitCode, _, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", _data, "--resume"]);

        exitCode.Should().Be(2);
        stderr.Should().StartWith("error: --resume needs --checkpoints DIR (usage: ");
    }

    [Test]
    public void Train_CheckpointsUnderAFile_PrintsOneErrorLineBeforeTraining()
    {
        var file = _temp.File("a-file");
        File.WriteAllText(file, "x");
        var folder = Path.Combine(file, "checkpoints");

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("06-Train", "Train", ["--data", _data, "--checkpoints", folder], Cpu);

        exitCode.Should().Be(1);
        stdout.Should().NotContain("Epoch 1");
        Lines(stderr).Should().HaveCount(2);
        stderr.Should().StartWith($"error: Cannot write checkpoints to '{folder}' (TrainingOptions.CheckpointDirectory): ");
    }

    private static string[] Lines(string text) => text.ReplaceLineEndings("\n").Split('\n');
}
