using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>The 05-Checkpoints CLI on files torch wrote (<c>checkpoint_layouts.py</c>): a TorchScript archive, a
/// Lightning checkpoint, a bfloat16 state_dict, a whole pickled model.</summary>
[Category(PyTorchOracle.Category)]
public sealed class CheckpointsExampleOracleTests
{
    private static readonly string[] TensorLines = CheckpointsExampleTests.TensorLines;

    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("checkpoint_layouts.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCase("scripted")]
    [TestCase("traced")]
    public void Checkpoints_TorchScriptArchive_ListsItsTensorsLoadsThemAndConvertsThemToAPth(string layout)
    {
        var path = _torch.File($"quickstart.{layout}.pt");
        var output = _torch.NewFile($"from-{layout}.pth");

        var (exitCode, stdout, stderr) = Run(path, "--convert", output);

        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal(
            [$"{path}: TorchScript checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>", $"Wrote {output} (PyTorch)"]);
        var converted = Checkpoint.ReadStateDict(output);
        try
        {
            foreach (var (key, tensor) in converted)
            {
                tensor.bytes.SequenceEqual(_torch.Array($"quickstart.state.{key}").Bytes).Should().BeTrue(key);
            }
        }
        finally
        {
            foreach (var tensor in converted.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [Test]
    public void Checkpoints_LightningCheckpoint_NeedsStripPrefixModelThenLoadsFromItsStateDictEntry()
    {
        var path = _torch.File("documented.lightning.pth");

        var (failCode, _, failErr) = Run(path, "--variant", "documented");
        var (exitCode, stdout, stderr) = Run(path, "--variant", "documented", "--strip-prefix", "model.");

        failCode.Should().Be(1);
        Lines(failErr).Should().ContainSingle().Which.Should().EndWith(
            "(every key of the file starts with 'model.': --strip-prefix \"model.\" removes it). Nothing was changed.");
        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors (entry 'state_dict')", .. TensorLines, "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_BFloat16StateDictWithConvertDtype_Loads()
    {
        var path = _torch.File("quickstart.bfloat16.pth");

        var (exitCode, stdout, stderr) = Run(path, "--convert-dtype");

        exitCode.Should().Be(0, stderr);
        Lines(stdout)[^1].Should().Be("<All keys matched successfully>");
        Lines(stdout)[1].Should().Be("  linear_relu_stack.0.weight  bfloat16  [512, 784]");
    }

    [Test]
    public void Checkpoints_WholePickledModel_PrintsOneErrorLineNamingItsClass()
    {
        var path = _torch.File("quickstart.whole.pth");

        var (exitCode, stdout, stderr) = Run(path);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        Lines(stderr).Should().ContainSingle().Which.Should().StartWith(
            $"error: Cannot read checkpoint '{path}': quickstart.whole/data.pkl asks for the Python global 'zoo.NeuralNetwork'")
            .And.EndWith("load it in Python and save model.state_dict() instead.");
    }

    private static (int ExitCode, string StandardOutput, string StandardError) Run(params string[] arguments) =>
        CheckpointsExampleTests.Run(arguments);

    private static string[] Lines(string text) => CheckpointsExampleTests.Lines(text);
}
