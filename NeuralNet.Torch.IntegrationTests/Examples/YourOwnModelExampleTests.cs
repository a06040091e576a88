using System.Globalization;
using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>examples/09-YourOwnModel, step by step, against torch running the example's own model.py
/// (<c>your_own_model.py</c>): the printed model, the state_dict, torch's checkpoint loaded, torch's predictions, the
/// ONNX file passing <c>onnx.checker</c>.</summary>
[Category(PyTorchOracle.Category)]
public sealed partial class YourOwnModelExampleTests
{
    private static readonly Dictionary<string, string?> Cpu = new() { [Devices.EnvironmentVariable] = "cpu" };

    private static readonly string ModelPy = Path.Combine(TestPaths.RepositoryRoot, "examples", "09-YourOwnModel", "model.py");

    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("your_own_model.py", ModelPy);

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [Test]
    public void Inspect_PrintsTheModelAndItsStateDictAsTorchDoes_ThenASummaryWithTorchsParameterCount()
    {
        var (exitCode, stdout, stderr) = Run("1-Inspect", "Inspect");

        exitCode.Should().Be(0, stderr);
        var blocks = stdout.ReplaceLineEndings("\n").Split("\n\n");
        OracleAssert.SameText(blocks[0], _torch.Text("repr"), "print(model)");
        OracleAssert.SameText(blocks[1], _torch.Text("state_dict"), "the state_dict's keys, dtypes and shapes");
        var count = long.Parse(_torch.Text("parameter_count"), CultureInfo.InvariantCulture);
        blocks[2].Should().Contain($"Total params: {count:N0}\n").And.Contain("Output shape: [1, 10]\n");
    }

    [Test]
    public void LoadCheckpoint_TorchsStateDict_MatchesEveryKeyAndGivesTorchsNumbers()
    {
        var (exitCode, stdout, stderr) = Run("2-LoadCheckpoint", "LoadCheckpoint", _torch.File("model.pth"));

        exitCode.Should().Be(0, stderr);
        OracleAssert.SameText(stdout.ReplaceLineEndings("\n"), $"<All keys matched successfully>\n{_torch.Text("bias")}\n",
            "load_state_dict and print(model.classifier[4].bias)");
    }

    [Test]
    public void LoadCheckpoint_AnotherModelsStateDict_IsOneErrorLineNamingTheKeys()
    {
        var other = _torch.NewFile("documented.pth");
        using (var documented = new NeuralNetwork())
        {
            documented.SaveCheckpoint(other);
        }

        var (exitCode, stdout, stderr) = Run("2-LoadCheckpoint", "LoadCheckpoint", other);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        Lines(stderr).Should().ContainSingle().Which.Should().StartWith("error: ")
            .And.Contain("features.0.weight").And.Contain("linear_relu_stack.0.weight");
    }

    [Test]
    public void Predict_TorchsCheckpointOnIdxImages_GivesTorchsClassesConfidencesAndAccuracy()
    {
        var probabilities = _torch.Array("probabilities").ToFloat32();
        var labels = _torch.Array("labels").ToInt64();
        var classes = Enumerable.Range(0, labels.Length).Select(i => TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * 10, 10))).ToArray();
        var names = IdxDatasetSource.FashionMnist.ClassNames;

        var (exitCode, stdout, stderr) = Run("3-Predict", "Predict", _torch.File("model.pth"), _torch.Folder, "5");

        exitCode.Should().Be(0, stderr);
        var lines = Lines(stdout);
        lines.Should().HaveCount(6);
        for (var i = 0; i < 5; i++)
        {
            var match = PredictionLine().Match(lines[i]);
            match.Success.Should().BeTrue(lines[i]);
            match.Groups["predicted"].Value.Should().Be(names[classes[i]], $"image {i}'s class is torch's argmax");
            match.Groups["actual"].Value.Should().Be(names[(int)labels[i]]);
            // Printed with one decimal: within half a unit of the last digit of torch's percentage.
            double.Parse(match.Groups["confidence"].Value, CultureInfo.InvariantCulture)
                .Should().BeApproximately(100 * probabilities[i * 10 + classes[i]], 0.05 + 1e-3);
        }
        var correct = classes.Where((c, i) => c == labels[i]).Count();
        lines[5].Should().Be($"Accuracy on the {labels.Length} test images: {(100.0 * correct / labels.Length).ToString("0.0", CultureInfo.InvariantCulture)}%");
    }

    [TestCase("libtorch")]
    [TestCase("onnxruntime")]
    public void Serve_ConcurrentRequestsForEachImage_AnswerTorchsClassesOnEitherEngine(string engine)
    {
        var probabilities = _torch.Array("probabilities").ToFloat32();
        var labels = _torch.Array("labels").ToInt64();
        var classes = Enumerable.Range(0, labels.Length).Select(i => TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * 10, 10))).ToArray();
        var correct = classes.Where((c, i) => c == labels[i]).Count();
        var names = IdxDatasetSource.FashionMnist.ClassNames;

        var (exitCode, stdout, stderr) = Run("5-Serve", "Serve", _torch.File("model.pth"), _torch.Folder, engine);

        exitCode.Should().Be(0, stderr);
        var lines = Lines(stdout);
        lines.Should().HaveCount(5);
        lines[0].Should().Be($"Predictor: {(engine == "libtorch" ? "LibTorch" : "OnnxRuntime")} on cpu, input [1, 28, 28] Float32, 10 classes, " +
            $"{long.Parse(_torch.Text("parameter_count"), CultureInfo.InvariantCulture):N0} parameters");
        lines[1].Should().MatchRegex($"^{labels.Length} requests from 16 concurrent callers in \\d+ ms$");
        lines[2].Should().Be($"Same class as model.Predict: {labels.Length} of {labels.Length}");
        lines[3].Should().StartWith($"First answer: \"{names[classes[0]]}\" (").And.EndWith($"actual \"{names[(int)labels[0]]}\"");
        lines[4].Should().Be($"Accuracy: {(100.0 * correct / labels.Length).ToString("0.0", CultureInfo.InvariantCulture)}%");
    }

    [Test]
    public void ExportOnnx_WritesAGraphThatOnnxsCheckerAcceptsAndOnnxRuntimeAgreesWith()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.onnx");

        var (exitCode, stdout, stderr) = Run("4-ExportOnnx", "ExportOnnx", _torch.File("model.pth"), path);

        exitCode.Should().Be(0, stderr);
        var lines = Lines(stdout);
        lines[0].Should().Be($"Wrote {path} (ONNX opset 17: input [batch, 1, 28, 28] -> logits [batch, 10])");
        lines[1].Should().Be("Operators: Conv BatchNormalization Relu MaxPool Conv BatchNormalization Relu MaxPool Flatten Gemm Relu Gemm");
        lines[2].Should().StartWith("ONNX Runtime on 8 random images: the same classes as libtorch, probabilities within ");
        using var check = PyTorchOracle.Run("onnx_check.py", folder.Path);
        var result = check.Json("checks").GetProperty("model.onnx");
        result.GetProperty("check").GetString().Should().Be("ok");
        result.GetProperty("output").EnumerateArray().Select(d => d.ToString()).Should().Equal("batch", "10");
    }

    [Test]
    public void Train_OneEpochWithAdam_PrintsTheQuickstartsBlocksAndSavesAPthThatTorchLoadsIntoModelPy()
    {
        using var data = new TempFolder();
        foreach (var (prefix, count, seed) in new[] { ("train", 256, 5), ("t10k", 64, 6) })
        {
            var images = SyntheticImages.Create(count, seed);
            File.WriteAllBytes(data.File($"{prefix}-images-idx3-ubyte"), images.ImagesFile);
            File.WriteAllBytes(data.File($"{prefix}-labels-idx1-ubyte"), images.LabelsFile);
        }
        var output = data.File("trained.pth");

        var (exitCode, stdout, stderr) = Run("6-Train", "Train", data.Path, "--epochs", "1", "--out", output);

        exitCode.Should().Be(0, stderr);
        var lines = Lines(stdout);
        lines[0].Should().Be("Epoch 1");
        lines[1].Should().Be(new string('-', 31));
        lines[2].Should().MatchRegex(@"^loss: \d\.\d{6}  \[   64/  256\]$");
        lines[3].Should().Be("Test Error: ");
        lines[4].Should().MatchRegex(@"^ Accuracy: \d{1,3}\.\d%, Avg loss: \d+\.\d{6} $");
        lines[5].Should().Be("Done!");
        lines[6].Should().MatchRegex(@"^Test accuracy after 1 epoch: \d{1,3}\.\d% \(\d+ s, \d+ training images/s with the test passes\)$");
        lines[7].Should().Be($"Saved PyTorch Model State to {output}");
        lines.Should().HaveCount(8);

        using var torch = PyTorchOracle.Run("your_own_model_load.py", ModelPy, output);
        torch.Text("load").Should().Be("<All keys matched successfully>");
        var saved = Checkpoint.ReadStateDict(output);
        try
        {
            saved.Keys.Should().BeEquivalentTo(torch.ArrayNames.Select(n => n["state.".Length..]));
            foreach (var (key, tensor) in saved)
            {
                tensor.bytes.SequenceEqual(torch.Array($"state.{key}").Bytes).Should().BeTrue($"{key} holds the same bits in torch");
            }
        }
        finally
        {
            foreach (var tensor in saved.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Test]
    public void Steps_MissingArgumentsOrAMissingDataFolder_AreOneErrorLineAndANonZeroExit()
    {
        var (missingCode, missingOut, missingErr) = Run("3-Predict", "Predict", _torch.File("model.pth"));
        missingCode.Should().Be(2);
        missingOut.Should().BeEmpty();
        Lines(missingErr).Should().Equal("error: missing arguments (usage: YourOwnModel.Predict FILE.pth DATA_DIR [COUNT])");

        var noData = Path.Combine(_torch.Folder, "no-such-folder");
        var (exitCode, stdout, stderr) = Run("3-Predict", "Predict", _torch.File("model.pth"), noData);
        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        Lines(stderr).Should().ContainSingle().Which.Should().StartWith("error: FashionMNIST file t10k-images-idx3-ubyte not found")
            .And.Contain(noData);
    }

    internal static (int ExitCode, string StandardOutput, string StandardError) Run(string step, string name, params string[] arguments) =>
        ProcessRunner.RunExample(Path.Combine("09-YourOwnModel", step), "YourOwnModel." + name, arguments, Cpu);

    /// <summary>The lines of a text, without libtorch's NNPACK notice (printed on CPUs NNPACK does not support).</summary>
    internal static string[] Lines(string text) => text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(l => !l.Contains("Could not initialize NNPACK", StringComparison.Ordinal)).ToArray();


    [GeneratedRegex("""^image \d+: predicted "(?<predicted>[^"]+)" \((?<confidence>\d+\.\d)%\), actual "(?<actual>[^"]+)"$""")]
    private static partial Regex PredictionLine();
}
