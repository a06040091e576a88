using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>Runs the built 05-Checkpoints example (the CLI) and checks what it prints.</summary>
public sealed class CheckpointsExampleTests
{
    internal static readonly string[] TensorLines =
    [
        "  linear_relu_stack.0.weight  float32   [512, 784]",
        "  linear_relu_stack.0.bias    float32   [512]",
        "  linear_relu_stack.2.weight  float32   [512, 512]",
        "  linear_relu_stack.2.bias    float32   [512]",
        "  linear_relu_stack.4.weight  float32   [10, 512]",
        "  linear_relu_stack.4.bias    float32   [10]",
    ];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Checkpoints_PthTheTestWrote_ListsTheTensorsAndLoadsThemStrictly()
    {
        var path = SaveModel("model.pth");

        var (exitCode, stdout, stderr) = Run(path, "--variant", "documented");

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_Convert_WritesTheFormatOfTheOutputsExtension()
    {
        var path = SaveModel("model.dat");
        var output = _folder.File("converted.safetensors");

        var (exitCode, stdout, stderr) = Run(path, "--convert", output);

        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal(
            [$"{path}: TorchSharp checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>", $"Wrote {output} (SafeTensors)"]);
        Checkpoint.DetectFormat(output).Should().Be(CheckpointFormat.SafeTensors);
        using var original = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        original.LoadCheckpoint(path);
        using var converted = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        converted.LoadCheckpoint(output);
        converted.state_dict()["linear_relu_stack.4.weight"].data<float>().ToArray()
            .Should().Equal(original.state_dict()["linear_relu_stack.4.weight"].data<float>().ToArray());
    }

    [Test]
    [Category("SharedFixtures")]
    public void Checkpoints_RealPyTorchFileSavedOnMps_LoadsStrictly()
    {
        var path = TestPaths.RequireSharedFixture("pytorch/1RaghavM__PyTorch__model.pth");

        var (exitCode, stdout, stderr) = Run(path);

        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_FileWithMissingAndMisshapenKeys_PrintsOneErrorLineNamingThem()
    {
        List<StateEntry> entries;
        manual_seed(31);
        using (var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            entries = StateDictTransfer.Snapshot(model);
        }
        entries[0] = entries[0] with { Shape = [784, 512] };
        entries.RemoveAt(5);
        var path = _folder.File("bad.safetensors");
        using (var file = File.Create(path))
        {
            SafeTensorsFormat.Write(file, entries);
        }

        var (exitCode, _, stderr) = Run(path);

        exitCode.Should().Be(1);
        stderr.Should().Be(
            $"error: Cannot load checkpoint '{path}' into NeuralNetwork: missing keys: linear_relu_stack.4.bias; " +
            $"linear_relu_stack.0.weight: expected [512, 784], found [784, 512]. Nothing was changed.{Environment.NewLine}");
    }

    [Test]
    public void Checkpoints_PickleAskingForPosixSystem_PrintsTheRefusedGlobal()
    {
        var path = _folder.File("evil.pth");
        var marker = _folder.File("pwned");
        var pickle = new PickleBytes().Proto2().Global("posix", "system").Str($"touch {marker}").Raw(0x85).Op('R').Op('.').ToArray();
        PickleBytes.WriteZip(path, ("evil/data.pkl", pickle), ("evil/version", "3\n"u8.ToArray()));

        var (exitCode, stdout, stderr) = Run(path);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        Lines(stderr).Should().ContainSingle().Which.Should().StartWith($"error: Cannot read checkpoint '{path}': evil/data.pkl asks for the Python global 'posix.system'");
        File.Exists(marker).Should().BeFalse();
    }

    [Test]
    public void Checkpoints_MissingFile_PrintsTheFileWithoutAStackTrace()
    {
        var path = _folder.File("nope.pth");

        var (exitCode, _, stderr) = Run(path);

        exitCode.Should().Be(1);
        stderr.Should().Be($"error: Cannot read checkpoint '{path}': the file does not exist.{Environment.NewLine}");
    }

    [Test]
    public void Checkpoints_ConvertToAnUnknownExtension_SaysWhichExtensionsWorkBeforeReadingAnything()
    {
        var output = _folder.File("model.tflite");

        var (exitCode, stdout, stderr) = Run(_folder.File("not-even-read.pth"), "--convert", output);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Be(
            $"error: Cannot choose a format for '{output}' from its extension '.tflite': use .pt, .pth or .bin (PyTorch), " +
            $".safetensors, .dat (TorchSharp), or .onnx (ONNX).{Environment.NewLine}");
    }

    [Test]
    public void Checkpoints_ConvertToOnnx_WritesAGraphThatOnnxRuntimeRunsWithTheCheckpointsOutputs()
    {
        var path = SaveModel("model.pth");
        var output = _folder.File("model.onnx");

        var (exitCode, stdout, stderr) = Run(path, "--convert", output);

        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal(
            [$"{path}: PyTorch checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>",
             $"Wrote {output} (ONNX opset 17: input [batch, 784] -> logits [batch, 10])"]);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(path);
        using var images = rand(16, 784);
        using var expected = model.forward(images);
        using var onnx = new OnnxRuntimeModel(output);
        var (logits, shape) = onnx.Run(images);
        shape.Should().Equal(16, 10);
        OnnxRuntimeModel.MaxDifference(expected, logits).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Test]
    [Category("SharedFixtures")]
    public void Checkpoints_RealPyTorchFileToOnnx_WritesTheTutorialsGraph()
    {
        var path = TestPaths.RequireSharedFixture("pytorch/AbirDey2002__pyTorch-Tutorial__model.pth");
        var output = _folder.File("tutorial.onnx");

        var (exitCode, stdout, stderr) = Run(path, "--convert", output);

        exitCode.Should().Be(0, stderr);
        Lines(stdout)[^1].Should().Be($"Wrote {output} (ONNX opset 17: input [batch, 784] -> logits [batch, 10])");
        using var onnx = new OnnxRuntimeModel(output);
        onnx.Session.InputMetadata["input"].Dimensions.Should().Equal(-1, 784);
    }

    [Test]
    public void Checkpoints_ConvertToOnnxInAMissingFolder_PrintsOneErrorLine()
    {
        var path = SaveModel("model.pth");
        var output = Path.Combine(_folder.Path, "missing", "model.onnx");

        var (exitCode, _, stderr) = Run(path, "--convert", output);

        exitCode.Should().Be(1);
        stderr.Should().Be($"error: Cannot write '{output}': the folder '{Path.GetDirectoryName(output)}' does not exist.{Environment.NewLine}");
    }

    [Test]
    public void Checkpoints_NoFile_PrintsUsageAndExitsWith2()
    {
        var (exitCode, _, stderr) = Run();

        exitCode.Should().Be(2);
        stderr.Should().StartWith(
            "error: no checkpoint file given (usage: Checkpoints FILE [--variant documented|quickstart] [--entry NAME] " +
            "[--strip-prefix P] [--convert-dtype] [--convert ");
    }

    [Test]
    public void Checkpoints_DataParallelKeysWithoutStripPrefix_PrintsOneErrorLineNamingTheFlag()
    {
        var path = WriteEntries("parallel.pth", Snapshot().Select(e => e with { Name = "module." + e.Name }).ToList());

        var (exitCode, stdout, stderr) = Run(path);

        exitCode.Should().Be(1);
        Lines(stdout)[1].Should().Be("  module.linear_relu_stack.0.weight  float32   [512, 784]", "the file's own keys are listed before the load");
        Lines(stderr).Should().ContainSingle().Which.Should().Be(
            $"error: Cannot load checkpoint '{path}' into NeuralNetwork: missing keys: {string.Join(", ", TensorLines.Select(Name))}; " +
            $"unexpected keys: {string.Join(", ", TensorLines.Select(l => "module." + Name(l)))} (every key of the file starts with " +
            "'module.': --strip-prefix \"module.\" removes it). Nothing was changed.");
    }

    [Test]
    public void Checkpoints_StripPrefix_ListsTheStrippedKeysAndLoadsThem()
    {
        var path = WriteEntries("parallel.pth", Snapshot().Select(e => e with { Name = "module." + e.Name }).ToList());

        var (exitCode, stdout, stderr) = Run(path, "--strip-prefix", "module.");

        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors", .. TensorLines, "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_Float16FileWithoutAndWithConvertDtype_FailsNamingTheFlagThenLoads()
    {
        var path = WriteEntries("half.pth", Snapshot().Select(e => e with { DType = ScalarType.Float16, Data = Half(e) }).ToList());

        var (failCode, _, failErr) = Run(path);
        var (exitCode, stdout, stderr) = Run(path, "--convert-dtype");

        failCode.Should().Be(1);
        Lines(failErr).Should().ContainSingle().Which.Should().StartWith($"error: Cannot load checkpoint '{path}' into NeuralNetwork: linear_relu_stack.0.weight: expected float32, found float16; ")
            .And.EndWith("(--convert-dtype converts floating-point types). Nothing was changed.");
        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors", .. TensorLines.Select(l => l.Replace("float32", "float16")), "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_DictWithTwoStateDicts_NeedsEntryThenLoadsTheNamedOne()
    {
        var path = TwoStateDicts();

        var (failCode, failOut, failErr) = Run(path);
        var (exitCode, stdout, stderr) = Run(path, "--entry", "ema");

        failCode.Should().Be(1);
        failOut.Should().BeEmpty();
        Lines(failErr).Should().ContainSingle().Which.Should().Be(
            $"error: Cannot read checkpoint '{path}': its top level is not a state_dict but a dict of 3 entries, 'epoch' (the int 4), " +
            "'model' (a dict of 6 tensors), 'ema' (a dict of 6 tensors), and 2 of them hold dicts of tensors: choose one with --entry.");
        exitCode.Should().Be(0, stderr);
        Lines(stdout).Should().Equal([$"{path}: PyTorch checkpoint, 6 tensors (entry 'ema')", .. TensorLines, "<All keys matched successfully>"]);
    }

    [Test]
    public void Checkpoints_EntryThatIsNotThere_PrintsTheTopLevelKeys()
    {
        var path = TwoStateDicts();

        var (exitCode, _, stderr) = Run(path, "--entry", "state_dict");

        exitCode.Should().Be(1);
        Lines(stderr).Should().ContainSingle().Which.Should().Be(
            $"error: Cannot read checkpoint '{path}': it has no top-level entry 'state_dict' (--entry); its top-level keys are " +
            "'epoch' (the int 4), 'model' (a dict of 6 tensors), 'ema' (a dict of 6 tensors).");
    }

    [Test]
    public void Checkpoints_FlagWithoutItsValue_IsAnUnexpectedArgument()
    {
        var (exitCode, _, stderr) = Run(_folder.File("x.pth"), "--strip-prefix");

        exitCode.Should().Be(2);
        stderr.Should().StartWith("error: unexpected argument '--strip-prefix' (usage: ");
    }

    // {"epoch": 4, "model": state_dict, "ema": state_dict}, both over the same six storages.
    private string TwoStateDicts()
    {
        var entries = Snapshot();
        var pickle = new PickleBytes().Proto2().Op('}').Op('(').Str("epoch").Int(4);
        foreach (var key in new[] { "model", "ema" })
        {
            pickle.Str(key).NewOrderedDict().Op('(');
            for (var i = 0; i < entries.Count; i++)
            {
                var strides = entries[i].Shape.Length == 2 ? new[] { entries[i].Shape[1], 1L } : [1L];
                pickle.Str(entries[i].Name).Tensor("FloatStorage", $"{i}", "cpu", entries[i].Data.Length / 4, 0, entries[i].Shape, strides);
            }
            pickle.Op('u');
        }
        var path = _folder.File("two.pth");
        PickleBytes.WriteZip(path, [("t/data.pkl", pickle.Op('u').Op('.').ToArray()), .. entries.Select((e, i) => ($"t/data/{i}", e.Data)), ("t/version", "3\n"u8.ToArray())]);
        return path;
    }

    private static List<StateEntry> Snapshot()
    {
        manual_seed(32);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        return StateDictTransfer.Snapshot(model);
    }

    private string WriteEntries(string name, List<StateEntry> entries)
    {
        var path = _folder.File(name);
        using var file = File.Create(path);
        PyTorchCheckpointWriter.Write(file, entries, path);
        return path;
    }

    private static byte[] Half(StateEntry entry)
    {
        using var scope = NewDisposeScope();
        var values = empty(entry.Shape, ScalarType.Float32);
        values.bytes = entry.Data;
        return values.to_type(ScalarType.Float16).bytes.ToArray();
    }

    private static string Name(string tensorLine) => tensorLine.Trim().Split(' ')[0];

    private string SaveModel(string name)
    {
        var path = _folder.File(name);
        manual_seed(30);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.SaveCheckpoint(path);
        return path;
    }

    internal static (int ExitCode, string StandardOutput, string StandardError) Run(params string[] arguments) =>
        ProcessRunner.RunExample("05-Checkpoints", "Checkpoints", arguments);

    internal static string[] Lines(string text) => text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
}
