using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Files whose top level is not a state_dict (training dicts, Lightning checkpoints) on hand-made pickles:
/// the one dict of tensors is found, <see cref="CheckpointLoadOptions.Entry"/> picks one, and every other case is
/// refused listing the top-level keys, which of them hold tensors, and the option.</summary>
public sealed class CheckpointEntryTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Load_TutorialTrainingDict_LoadsItsOneDictOfTensors()
    {
        // {"epoch": 5, "model_state_dict": OrderedDict(weight, bias), "optimizer_state_dict": {"state": {0: {...}},
        // "param_groups": [{"lr": 0.01, "params": [0, 1]}]}, "loss": 0.42}
        var path = Write(new PickleBytes().Proto2().Op('}').Op('(')
            .Str("epoch").Int(5)
            .Str("model_state_dict").LinearStateDict()
            .Str("optimizer_state_dict").Op('}').Op('(')
                .Str("state").Op('}').Int(0).Op('}').Str("momentum_buffer").Tensor("FloatStorage", "2", "cpu", 6, 0, [2, 3], [3, 1]).Op('s').Op('s')
                .Str("param_groups").Op(']').Op('}').Op('(').Str("lr").Float(0.01).Str("params").Op(']').Op('(').Int(0).Int(1).Op('e').Op('u').Op('a')
                .Op('u')
            .Str("loss").Float(0.42)
            .Op('u').Op('.'));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        PyTorchFormatTests.Values(linear, "weight").Should().Equal(PyTorchFormatTests.Weight);
        PyTorchFormatTests.Values(linear, "bias").Should().Equal(PyTorchFormatTests.Bias);
        var info = Checkpoint.Inspect(path);
        info.Entry.Should().Be("model_state_dict");
        info.Tensors.Select(t => t.ToString()).Should().Equal("weight float32 [2, 3]", "bias float32 [2]");
    }

    [Test]
    public void Load_TwoDictsOfTensorsWithoutEntry_ListsEveryKeyAndNamesEntry()
    {
        var path = Write(TwoModels());
        using var linear = nn.Linear(3, 2);
        var before = PyTorchFormatTests.Values(linear, "weight");

        var act = () => linear.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': its top level is not a state_dict but a dict of 3 entries, 'epoch' (the int 2), " +
            "'model' (a dict of 2 tensors), 'ema' (a dict of 2 tensors), and 2 of them hold dicts of tensors: choose one with " +
            "CheckpointLoadOptions.Entry.");
        PyTorchFormatTests.Values(linear, "weight").Should().Equal(before);
    }

    [Test]
    public void Load_TwoDictsOfTensorsWithEntry_LoadsTheNamedOne()
    {
        var path = Write(TwoModels());
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path, new CheckpointLoadOptions { Entry = "ema" });

        PyTorchFormatTests.Values(linear, "bias").Should().Equal([-0.5f, 1e-3f], "the 'ema' entry's bias is the weight storage's last two");
        Checkpoint.Inspect(path, new CheckpointLoadOptions { Entry = "ema" }).Entry.Should().Be("ema");
    }

    [Test]
    public void Load_EntryThatIsNotThere_ListsTheTopLevelKeys()
    {
        var path = Write(TwoModels());

        var act = () => Checkpoint.Inspect(path, new CheckpointLoadOptions { Entry = "state_dict" });

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': it has no top-level entry 'state_dict' (CheckpointLoadOptions.Entry); its top-level " +
            "keys are 'epoch' (the int 2), 'model' (a dict of 2 tensors), 'ema' (a dict of 2 tensors).");
    }

    [Test]
    public void Load_EntryThatHoldsNoTensors_SaysWhichEntriesDo()
    {
        var path = Write(TwoModels());

        var act = () => Checkpoint.ReadStateDict(path, new CheckpointLoadOptions { Entry = "epoch" });

        act.Should().Throw<CheckpointException>().WithMessage(
            "*its entry 'epoch' (CheckpointLoadOptions.Entry) holds the int 2, not a dict of tensors; entries that hold one: 'model', 'ema'.");
    }

    [Test]
    public void Load_StateDictWithAStrayNonTensorValue_SaysTheTopLevelMixesThem()
    {
        // sd = model.state_dict(); sd["epoch"] = 5; torch.save(sd, path)
        var path = Write(new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Str("epoch").Int(5)
            .Op('u').Op('.'));

        var act = () => Checkpoint.Inspect(path);

        act.Should().Throw<CheckpointException>().WithMessage(
            "*its top level mixes 2 tensors with 1 other value ('epoch' (the int 5)); a state_dict holds only tensors under str keys.");
    }

    [Test]
    public void Load_EntryOnASafetensorsFile_SaysOnlyTorchSaveFilesHaveEntries()
    {
        var path = _folder.File("model.safetensors");
        using var linear = nn.Linear(3, 2);
        linear.SaveCheckpoint(path);

        var act = () => linear.LoadCheckpoint(path, new CheckpointLoadOptions { Entry = "model_state_dict" });

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': CheckpointLoadOptions.Entry 'model_state_dict' applies to torch.save files only; this SafeTensors file has no entries, only tensors.");
    }

    [Test]
    public void Load_EmptyEntryOrPrefix_IsAnArgumentException()
    {
        using var linear = nn.Linear(3, 2);

        linear.Invoking(l => l.LoadCheckpoint("x.pth", new CheckpointLoadOptions { Entry = "" }))
            .Should().Throw<ArgumentException>().WithMessage("CheckpointLoadOptions.Entry is empty*");
        FluentActions.Invoking(() => Checkpoint.Inspect("x.pth", new CheckpointLoadOptions { StripPrefix = "" }))
            .Should().Throw<ArgumentException>().WithMessage("CheckpointLoadOptions.StripPrefix is empty*");
    }

    private static PickleBytes TwoModels() =>
        new PickleBytes().Proto2().Op('}').Op('(')
            .Str("epoch").Int(2)
            .Str("model").LinearStateDict()
            .Str("ema").NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
                .Str("bias").Tensor("FloatStorage", "0", "cpu", 6, 4, [2], [1])
                .Op('u')
            .Op('u').Op('.');

    private string Write(PickleBytes pickle)
    {
        var path = _folder.File("training.pth");
        PickleBytes.WriteZip(path, ("t/data.pkl", pickle.ToArray()), ("t/data/0", PickleBytes.Floats(PyTorchFormatTests.Weight)),
            ("t/data/1", PickleBytes.Floats(PyTorchFormatTests.Bias)), ("t/data/2", PickleBytes.Floats(new float[6])), ("t/version", "3\n"u8.ToArray()));
        return path;
    }
}
