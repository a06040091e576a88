using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary><see cref="CheckpointLoadOptions.StripPrefix"/> (PyTorch's <c>consume_prefix_in_state_dict_if_present</c>)
/// and the error that suggests it, on hand-made <c>DataParallel</c>-style files.</summary>
public sealed class StripPrefixTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Load_DataParallelKeysWithoutStripPrefix_SaysWhichPrefixToStripAndChangesNothing()
    {
        var path = Write(new PickleBytes().Proto2().LinearStateDict("module.").Op('.'));
        using var linear = nn.Linear(3, 2);
        var before = PyTorchFormatTests.Values(linear, "weight");

        var act = () => linear.LoadCheckpoint(path);

        var error = act.Should().Throw<CheckpointMismatchException>().Which;
        error.Message.Should().Be(
            $"Cannot load checkpoint '{path}' into Linear: missing keys: weight, bias; unexpected keys: module.weight, module.bias " +
            "(every key of the file starts with 'module.': CheckpointLoadOptions.StripPrefix \"module.\" removes it). Nothing was changed.");
        error.SuggestedStripPrefix.Should().Be("module.");
        PyTorchFormatTests.Values(linear, "weight").Should().Equal(before);
    }

    [Test]
    public void Load_WithStripPrefix_LoadsTheValues()
    {
        var path = Write(new PickleBytes().Proto2().LinearStateDict("module.").Op('.'));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "module." }).AllKeysMatched.Should().BeTrue();

        PyTorchFormatTests.Values(linear, "weight").Should().Equal(PyTorchFormatTests.Weight);
        PyTorchFormatTests.Values(linear, "bias").Should().Equal(PyTorchFormatTests.Bias);
    }

    [Test]
    public void Load_NestedPrefixes_SuggestsTheShortestThatMakesTheKeysMatch()
    {
        // A Sequential(Linear) saved from DataParallel: module.0.weight; stripping 'module.' gives the model's 0.weight.
        var path = Write(new PickleBytes().Proto2().LinearStateDict("module.0.").Op('.'));
        using var model = nn.Sequential(nn.Linear(3, 2));

        model.Invoking(m => m.LoadCheckpoint(path)).Should().Throw<CheckpointMismatchException>()
            .Which.SuggestedStripPrefix.Should().Be("module.");
    }

    [Test]
    public void Load_OnlySomeKeysCarryThePrefix_StripsItWherePresentAsPyTorchDoes()
    {
        var path = Write(new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("module.weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Op('u').Op('.'));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "module." });

        PyTorchFormatTests.Values(linear, "weight").Should().Equal(PyTorchFormatTests.Weight);
        Checkpoint.Inspect(path, new CheckpointLoadOptions { StripPrefix = "module." }).Tensors.Select(t => t.Name).Should().Equal("weight", "bias");
    }

    [Test]
    public void Load_StripPrefixMakingTwoKeysEqual_IsRefusedNamingBothAndChangesNothing()
    {
        var path = Write(new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("module.weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Op('u').Op('.'));
        using var linear = nn.Linear(3, 2);
        var before = PyTorchFormatTests.Values(linear, "weight");

        var act = () => linear.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "module." });

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot load checkpoint '{path}': removing StripPrefix 'module.' makes 'module.weight' and 'weight' the same key 'weight'. Nothing was changed.");
        PyTorchFormatTests.Values(linear, "weight").Should().Equal(before);
        FluentActions.Invoking(() => Checkpoint.ReadStateDict(path, new CheckpointLoadOptions { StripPrefix = "module." }))
            .Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': removing StripPrefix 'module.' makes*");
    }

    [Test]
    public void Load_StripPrefixThatMatchesNoKey_SaysSoInTheMismatch()
    {
        var path = Write(new PickleBytes().Proto2().LinearStateDict("module.").Op('.'));
        using var linear = nn.Linear(3, 2);

        var act = () => linear.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "model." });

        act.Should().Throw<CheckpointMismatchException>().WithMessage(
            "*unexpected keys: module.weight, module.bias (every key of the file starts with 'module.': CheckpointLoadOptions.StripPrefix " +
            "\"module.\" removes it; CheckpointLoadOptions.StripPrefix 'model.' matched none of the keys). Nothing was changed.");
    }

    [Test]
    public void Load_PrefixedKeysOfAnotherModel_GetNoSuggestion()
    {
        // module.weight alone: stripping 'module.' does not give Linear's two keys, so nothing is suggested.
        var path = Write(new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("module.weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1]).Op('u').Op('.'));
        using var linear = nn.Linear(3, 2);

        var error = linear.Invoking(l => l.LoadCheckpoint(path)).Should().Throw<CheckpointMismatchException>().Which;

        error.Message.Should().EndWith("missing keys: weight, bias; unexpected keys: module.weight. Nothing was changed.");
        error.SuggestedStripPrefix.Should().BeNull();
    }

    private string Write(PickleBytes pickle)
    {
        var path = _folder.File("parallel.pth");
        PickleBytes.WriteZip(path, ("p/data.pkl", pickle.ToArray()), ("p/data/0", PickleBytes.Floats(PyTorchFormatTests.Weight)),
            ("p/data/1", PickleBytes.Floats(PyTorchFormatTests.Bias)), ("p/version", "3\n"u8.ToArray()));
        return path;
    }
}
