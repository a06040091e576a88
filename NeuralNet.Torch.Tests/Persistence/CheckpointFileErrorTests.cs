using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Files that are not checkpoints, or not whole ones: one clear <see cref="CheckpointException"/> naming the
/// file and the problem, never a raw zip, JSON or I/O exception, and the model untouched.</summary>
public sealed class CheckpointFileErrorTests
{
    private TempFolder _folder = null!;
    private NeuralNetwork _model = null!;
    private float[] _before = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        manual_seed(21);
        _model = new NeuralNetwork();
        _before = FirstWeights();
    }

    [TearDown]
    public void TearDown()
    {
        FirstWeights().Should().Equal(_before, "a failed load leaves the model as it was");
        _model.Dispose();
        _folder.Dispose();
    }

    [Test]
    public void Load_MissingFile_SaysItDoesNotExist()
    {
        var path = _folder.File("nope.pth");

        ShouldFail(path, $"Cannot read checkpoint '{path}': the file does not exist.");
    }

    [Test]
    public void Load_Directory_SaysItIsADirectory()
    {
        var path = Directory.CreateDirectory(_folder.File("model.pth")).FullName;

        ShouldFail(path, $"Cannot read checkpoint '{path}': it is a directory, not a file.");
    }

    [Test]
    public void Load_EmptyFile_SaysItIsEmpty()
    {
        var path = _folder.File("empty.pth");
        File.WriteAllBytes(path, []);

        ShouldFail(path, $"Cannot read checkpoint '{path}': the file is empty.");
    }

    [TestCase(0.5)]
    [TestCase(0.999)]
    public void Load_TruncatedPth_SaysTheZipIsTruncatedOrCorrupt(double keep)
    {
        var path = _folder.File("cut.pth");
        _model.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);

        ShouldFail(path, $"Cannot read checkpoint '{path}': it starts like a zip archive but is not a readable one (truncated or corrupt: *");
    }

    [Test]
    public void Load_TruncatedSafetensors_SaysItIsTruncated()
    {
        var path = _folder.File("cut.safetensors");
        _model.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^1000]);

        ShouldFail(path, $"Cannot read checkpoint '{path}': the tensors need * bytes of data, but the file has * (truncated).");
    }

    [TestCase("hello, this is a text file\n")]
    [TestCase("{\"weights\": [1, 2, 3]}")]
    public void Load_TextFile_SaysItIsNoKnownFormat(string text)
    {
        var path = _folder.File("notes.pth");
        File.WriteAllText(path, text);

        ShouldFail(path, $"Cannot read checkpoint '{path}': it is not a checkpoint in a known format: not a PyTorch zip archive (.pt/.pth), not safetensors, and not a TorchSharp Module.save file (read as one: *).");
    }

    [Test]
    public void Load_RandomBytes_SaysItIsNoKnownFormat()
    {
        var path = _folder.File("noise.bin");
        var bytes = new byte[4096];
        new Random(1).NextBytes(bytes);
        bytes[0] = 0x01; // not a pickle's PROTO byte
        File.WriteAllBytes(path, bytes);

        ShouldFail(path, "*it is not a checkpoint in a known format*");
    }

    [Test]
    public void Load_LegacyBarePickle_SaysToResaveWithANewerPyTorch()
    {
        // torch.save(..., _use_new_zipfile_serialization=False) starts with a pickled magic number.
        var path = _folder.File("legacy.pth");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);

        ShouldFail(path, "*a bare pickle (PyTorch's legacy format from before 1.6, torch.save(..., _use_new_zipfile_serialization=False), " +
            "or a plain Python pickle), which is not supported: load it in Python and re-save it with torch.save(model.state_dict(), path)*");
    }

    [Test]
    public void Load_OnlyAZipSignature_SaysTheZipIsNotReadable()
    {
        var path = _folder.File("sig.pth");
        File.WriteAllBytes(path, "PK\u0003\u0004"u8.ToArray());

        ShouldFail(path, "*it starts like a zip archive but is not a readable one*");
    }

    [Test]
    public void Inspect_AndDetectFormat_ReportTheSameProblemsAsLoad()
    {
        var path = _folder.File("empty.safetensors");
        File.WriteAllBytes(path, []);

        FluentActions.Invoking(() => Checkpoint.Inspect(path)).Should().Throw<CheckpointException>().WithMessage("*the file is empty.");
        FluentActions.Invoking(() => Checkpoint.DetectFormat(path)).Should().Throw<CheckpointException>().WithMessage("*the file is empty.");
    }

    [Test]
    public void Load_NullOrBlankPath_ThrowsArgumentExceptions()
    {
        FluentActions.Invoking(() => _model.LoadCheckpoint(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => _model.LoadCheckpoint("  ")).Should().Throw<ArgumentException>();
    }

    private void ShouldFail(string path, string message)
    {
        var act = () => _model.LoadCheckpoint(path);

        var error = act.Should().Throw<CheckpointException>().WithMessage(message).Which;
        error.Should().BeOfType<CheckpointException>();
        error.FilePath.Should().Be(path);
    }

    private float[] FirstWeights() => _model.state_dict()["linear_relu_stack.0.weight"].data<float>().ToArray()[..16];
}
