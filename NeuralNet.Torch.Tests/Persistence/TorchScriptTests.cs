using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>What <see cref="TorchScript.Load"/> and the checkpoint API do with files that are not (valid) TorchScript
/// archives, on files the tests make; real archives from torch are in <see cref="TorchWrittenCheckpointTests"/>.</summary>
public sealed class TorchScriptTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Load_StateDictFile_SaysItIsNotATorchScriptArchiveAndHowToLoadIt()
    {
        var path = _folder.File("model.pth");
        using (var model = new NeuralNetwork())
        {
            model.SaveCheckpoint(path);
        }

        var act = () => TorchScript.Load(path);

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot load TorchScript module '{path}': it is a PyTorch checkpoint (tensors only), not a TorchScript archive " +
            "(torch.jit.save); load it into a model with model.LoadCheckpoint(path).").Which.FilePath.Should().Be(path);
    }

    [Test]
    public void Load_TextFile_SaysItIsNoKnownFormat()
    {
        var path = _folder.File("notes.pt");
        File.WriteAllText(path, "def forward(self, x): return x\n");

        var act = () => TorchScript.Load(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot load TorchScript module '{path}': it is not a checkpoint in a known format*");
    }

    [Test]
    public void Load_MissingFile_SaysItDoesNotExist()
    {
        var path = _folder.File("scripted.pt");

        var act = () => TorchScript.Load(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot load TorchScript module '{path}': the file does not exist.");
    }

    [Test]
    public void Load_ArchiveWithCodeThatLibtorchCannotRead_IsACheckpointExceptionWithLibtorchsReason()
    {
        var path = FakeArchive();

        var act = () => TorchScript.Load(path);

        var error = act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot load TorchScript module '{path}': it is a TorchScript archive (torch.jit.save) that libtorch cannot load, truncated or corrupt (libtorch: *).").Which;
        error.Message.Should().NotContain("\n", "libtorch's stack trace stays in the inner exception");
        error.InnerException.Should().BeOfType<InvalidDataException>();
    }

    [Test]
    public void LoadCheckpoint_ArchiveLibtorchCannotRead_IsRefusedAndChangesNothing()
    {
        var path = FakeArchive();
        using var model = new NeuralNetwork();
        var before = model.state_dict()["linear_relu_stack.0.bias"].data<float>().ToArray();

        var act = () => model.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': it is a TorchScript archive (torch.jit.save) that libtorch cannot load*");
        Checkpoint.DetectFormat(path).Should().Be(CheckpointFormat.TorchScript);
        model.state_dict()["linear_relu_stack.0.bias"].data<float>().ToArray().Should().Equal(before);
    }

    [Test]
    public void Load_TruncatedArchive_SaysTheZipIsNotReadable()
    {
        var path = FakeArchive();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var act = () => TorchScript.Load(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot load TorchScript module '{path}': it starts like a zip archive but is not a readable one*");
    }

    [Test]
    public void Load_OntoCudaWithoutCuda_IsAnArgumentException()
    {
        if (TorchRuntimeHasCuda())
        {
            Assert.Ignore("CUDA is available here: the refusal cannot be observed.");
        }

        var act = () => TorchScript.Load(FakeArchive(), new Device(DeviceType.CUDA, 0));

        act.Should().Throw<ArgumentException>().WithMessage("Cannot load a TorchScript module onto cuda*: CUDA is not available.*");
    }

    [Test]
    public void SaveCheckpoint_TorchScriptFormat_IsRefusedBecauseItIsOnlyRead()
    {
        using var model = new NeuralNetwork();
        var path = _folder.File("model.pt");

        var act = () => model.SaveCheckpoint(path, CheckpointFormat.TorchScript);

        act.Should().Throw<ArgumentException>().WithMessage("TorchScript archives are read, not written*Save CheckpointFormat.PyTorch (a state_dict) instead.*");
        File.Exists(path).Should().BeFalse();
    }

    [Test]
    public void Inspect_EntryOnATorchScriptArchive_SaysOnlyTorchSaveFilesHaveEntries()
    {
        var path = FakeArchive();

        var act = () => Checkpoint.Inspect(path, new CheckpointLoadOptions { Entry = "model" });

        act.Should().Throw<CheckpointException>().WithMessage("*CheckpointLoadOptions.Entry 'model' applies to torch.save files only; this TorchScript file*");
    }

    private static bool TorchRuntimeHasCuda() => Devices.IsCudaAvailable;

    // The records of a TorchScript archive (code/, constants.pkl, data.pkl) with contents libtorch cannot parse.
    private string FakeArchive()
    {
        var path = _folder.File($"scripted{Guid.NewGuid():N}.pt");
        PickleBytes.WriteZip(path,
            ("m/data.pkl", PyTorchFormatTests.LinearPickle()),
            ("m/constants.pkl", [0x80, 2, (byte)')', (byte)'.']),
            ("m/code/__torch__.py", "def forward(self): this is not TorchScript"u8.ToArray()),
            ("m/version", "3\n"u8.ToArray()));
        return path;
    }
}
