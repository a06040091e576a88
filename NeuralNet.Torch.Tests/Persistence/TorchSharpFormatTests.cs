using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>TorchSharp's own format: interchangeable with <c>Module.save</c>/<c>Module.load</c>, but loaded
/// all-or-nothing.</summary>
public sealed class TorchSharpFormatTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void SaveDat_IsByteForByteWhatModuleSaveWrites()
    {
        manual_seed(11);
        using var model = new NeuralNetwork();
        var ours = _folder.File("ours.dat");
        var theirs = _folder.File("theirs.dat");

        model.SaveCheckpoint(ours);
        model.save(theirs);

        File.ReadAllBytes(ours).AsSpan().SequenceEqual(File.ReadAllBytes(theirs)).Should().BeTrue();
    }

    [Test]
    public void LoadCheckpoint_FileFromModuleSave_AndModuleLoad_FileFromSaveCheckpoint_BothCarryTheValues()
    {
        manual_seed(12);
        using var source = new NeuralNetwork();
        var fromTorchSharp = _folder.File("torchsharp.dat");
        var fromUs = _folder.File("ours.dat");
        source.save(fromTorchSharp);
        source.SaveCheckpoint(fromUs);
        manual_seed(13);
        using var a = new NeuralNetwork();
        using var b = new NeuralNetwork();

        a.LoadCheckpoint(fromTorchSharp).AllKeysMatched.Should().BeTrue();
        b.load(fromUs);

        foreach (var (name, expected) in source.state_dict())
        {
            a.state_dict()[name].data<float>().ToArray().Should().Equal(expected.data<float>().ToArray(), name);
            b.state_dict()[name].data<float>().ToArray().Should().Equal(expected.data<float>().ToArray(), name);
        }
    }

    [Test]
    public void LoadCheckpoint_FileWhoseLastTensorIsMisshapen_ChangesNothing_WhereModuleLoadHalfLoads()
    {
        manual_seed(14);
        List<StateEntry> entries;
        using (var other = new NeuralNetwork())
        {
            entries = StateDictTransfer.Snapshot(other);
        }
        entries[5] = entries[5] with { Shape = [11], Data = new byte[44] };
        var path = _folder.File("bad.dat");
        using (var file = File.Create(path))
        {
            TorchSharpFormat.Write(file, entries);
        }
        manual_seed(15);
        using var ours = new NeuralNetwork();
        using var theirs = new NeuralNetwork();
        var before = ours.state_dict()["linear_relu_stack.0.weight"].data<float>().ToArray();

        ours.Invoking(m => m.LoadCheckpoint(path)).Should().Throw<CheckpointMismatchException>()
            .WithMessage("*linear_relu_stack.4.bias: expected [10], found [11]. Nothing was changed.");
        theirs.Invoking(m => m.load(path)).Should().Throw<ArgumentException>();

        ours.state_dict()["linear_relu_stack.0.weight"].data<float>().ToArray().Should().Equal(before);
        // Platform fact (TorchSharp 0.107): Module.load copies as it reads, so the first five tensors were overwritten.
        theirs.state_dict()["linear_relu_stack.0.weight"].data<float>().ToArray().Should().NotEqual(before);
    }

    [TestCase(1, "truncated")]
    [TestCase(100, "truncated")]
    [TestCase(5000, "truncated")]
    public void LoadCheckpoint_TruncatedDat_SaysSo(int keepBytes, string expected)
    {
        manual_seed(16);
        using var model = new NeuralNetwork();
        var path = _folder.File("cut.dat");
        model.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..keepBytes]);

        var act = () => model.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': *{expected}*");
    }

    [Test]
    public void LoadCheckpoint_DatWithBytesAfterTheLastEntry_IsRefused()
    {
        manual_seed(17);
        using var model = new NeuralNetwork();
        var path = _folder.File("long.dat");
        model.SaveCheckpoint(path);
        File.AppendAllText(path, "!");

        var act = () => model.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage("*1 byte(s) follow the last entry*");
    }
}
