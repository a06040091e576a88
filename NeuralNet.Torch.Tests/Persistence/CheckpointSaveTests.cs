using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Saving: the format from the extension or an override, atomic replacement, and failures part-way.</summary>
public sealed class CheckpointSaveTests
{
    private TempFolder _folder = null!;
    private NeuralNetwork _model = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        manual_seed(5);
        _model = new NeuralNetwork();
    }

    [TearDown]
    public void TearDown()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    [TestCase("model.pt", CheckpointFormat.PyTorch)]
    [TestCase("model.pth", CheckpointFormat.PyTorch)]
    [TestCase("pytorch_model.bin", CheckpointFormat.PyTorch)]
    [TestCase("MODEL.PTH", CheckpointFormat.PyTorch)]
    [TestCase("model.safetensors", CheckpointFormat.SafeTensors)]
    [TestCase("weights.dat", CheckpointFormat.TorchSharp)]
    public void SaveCheckpoint_ByExtension_WritesTheFormatThatDetectionFindsInTheBytes(string name, CheckpointFormat expected)
    {
        Checkpoint.FormatFromExtension(name).Should().Be(expected);
        var path = _folder.File(name);

        _model.SaveCheckpoint(path);

        Checkpoint.DetectFormat(path).Should().Be(expected);
    }

    [TestCase("model.ts")]
    [TestCase("model.onnx")]
    [TestCase("model")]
    public void SaveCheckpoint_UnknownExtensionWithoutFormat_ThrowsNamingTheChoices(string name)
    {
        var act = () => _model.SaveCheckpoint(_folder.File(name));

        act.Should().Throw<ArgumentException>().WithMessage("Cannot choose a checkpoint format for '*' from its extension*.pth*.safetensors*.dat*");
        Directory.EnumerateFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void SaveCheckpoint_ExplicitFormat_OverridesTheExtensionAndLoadDetectsTheBytes()
    {
        var path = _folder.File("looks-like-pytorch.pth");

        _model.SaveCheckpoint(path, CheckpointFormat.SafeTensors);

        Checkpoint.DetectFormat(path).Should().Be(CheckpointFormat.SafeTensors);
        manual_seed(6);
        using var other = new NeuralNetwork();
        other.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();
        other.state_dict()["linear_relu_stack.2.weight"].data<float>().ToArray()
            .Should().Equal(_model.state_dict()["linear_relu_stack.2.weight"].data<float>().ToArray());
    }

    [TestCase(".pth")]
    [TestCase(".safetensors")]
    [TestCase(".dat")]
    public void SaveCheckpoint_TwiceFromTheSameModel_WritesIdenticalBytes(string extension)
    {
        // Same file name in two folders (a PyTorch archive's folder name is the file's stem).
        var first = _folder.File("model" + extension);
        var second = Path.Combine(Directory.CreateDirectory(_folder.File("again")).FullName, "model" + extension);

        _model.SaveCheckpoint(first);
        _model.SaveCheckpoint(second);

        File.ReadAllBytes(second).AsSpan().SequenceEqual(File.ReadAllBytes(first)).Should().BeTrue("no clock or random id goes into a file");
    }

    [TestCase(".pth", 100)]
    [TestCase(".pth", 2_000_000)]
    [TestCase(".safetensors", 10)]
    [TestCase(".safetensors", 1_000_000)]
    [TestCase(".dat", 3)]
    [TestCase(".dat", 2_500_000)]
    public void SaveCheckpoint_FailingPartWay_KeepsThePreviousFileAndLeavesNoTemporaryFile(string extension, long failAfterBytes)
    {
        var path = _folder.File("model" + extension);
        File.WriteAllText(path, "the previous checkpoint");

        var act = () => Checkpoint.Save(_model, path, format: null, wrapStream: s => new FailingStream(s, failAfterBytes));

        act.Should().Throw<CheckpointException>()
            .WithMessage($"Cannot save checkpoint '{path}': disk full (injected after {failAfterBytes} bytes). The previous file, if any, is unchanged.")
            .Which.InnerException.Should().BeOfType<IOException>();
        File.ReadAllText(path).Should().Be("the previous checkpoint");
        Directory.GetFiles(_folder.Path).Should().Equal(path);
    }

    [Test]
    public void SaveCheckpoint_FailingPartWayWithNoPreviousFile_LeavesNothing()
    {
        var path = _folder.File("new.pth");

        var act = () => Checkpoint.Save(_model, path, format: null, wrapStream: s => new FailingStream(s, 5000));

        act.Should().Throw<CheckpointException>();
        Directory.EnumerateFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void SaveCheckpoint_OverAnExistingCheckpoint_ReplacesItWhole()
    {
        var path = _folder.File("model.safetensors");
        File.WriteAllBytes(path, new byte[10_000_000]);

        _model.SaveCheckpoint(path);

        Checkpoint.Inspect(path).Tensors.Should().HaveCount(6);
        Directory.GetFiles(_folder.Path).Should().Equal(path);
    }

    [Test]
    public void SaveCheckpoint_IntoAMissingFolder_ThrowsNamingTheFolder()
    {
        var folder = _folder.File("no-such-folder");
        var path = Path.Combine(folder, "model.pth");

        var act = () => _model.SaveCheckpoint(path);

        act.Should().Throw<CheckpointException>()
            .WithMessage($"Cannot save checkpoint '{path}': the folder '{folder}' does not exist.");
    }

    [Test]
    public void SaveCheckpoint_OntoADirectory_ThrowsSayingSo()
    {
        var path = Directory.CreateDirectory(_folder.File("model.pth")).FullName;

        var act = () => _model.SaveCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot save checkpoint '{path}': it is a directory.");
    }
}
