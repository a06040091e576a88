using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>StateDictReport against torch's <c>model.state_dict()</c> (state_dict.py): the same keys in the same
/// order, dtypes, shapes, parameter or buffer, trainable or not; and comparisons with checkpoints torch wrote.</summary>
[Category(PyTorchOracle.Category)]
public sealed class StateDictReportOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("state_dict.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.CasesWithExtras))]
    public void Create_ZooModel_ListsTorchsKeysInTorchsOrderWithKinds(string name)
    {
        using var model = ZooModels.Create(name);
        model.parameters().First().requires_grad = false;
        var expected = _torch.Json($"{name}.state_dict").EnumerateArray().Select(e =>
            $"{e.GetProperty("key").GetString()} {e.GetProperty("dtype").GetString()} " +
            $"[{string.Join(", ", e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}] " +
            $"{(e.GetProperty("parameter").GetBoolean() ? e.GetProperty("requires_grad").GetBoolean() ? "parameter" : "frozen parameter" : "buffer")}").ToList();

        var report = StateDictReport.Create(model);

        OracleAssert.SameSequence(report.Entries.Select(e => e.ToString()).ToList(), expected, $"{name} state_dict");
    }

    [Test]
    public void Compare_CheckpointWithAMissingAndAnUnexpectedKey_ListsBoth()
    {
        using var model = new BatchNormCnn();

        var comparison = StateDictReport.Compare(model, _torch.File("batchnorm_cnn_edited.pth"));

        comparison.IsMatch.Should().BeFalse();
        comparison.MissingKeys.Should().Equal("features.1.num_batches_tracked");
        comparison.UnexpectedKeys.Should().Equal("head.weight");
        comparison.Mismatches.Should().BeEmpty();
        comparison.ToString().Should().Be(
            $"The module and {comparison.FilePath} differ:\n" +
            "missing keys (in the module, not in the file):\n  features.1.num_batches_tracked\n" +
            "unexpected keys (in the file, not in the module):\n  head.weight");
    }

    [Test]
    public void Compare_CheckpointWithOtherShapes_ListsEachMismatchWithBothSides()
    {
        using var model = new LeNet();

        var comparison = StateDictReport.Compare(model, _torch.File("lenet_12_classes.pth"));

        comparison.MissingKeys.Should().BeEmpty();
        comparison.UnexpectedKeys.Should().BeEmpty();
        comparison.Mismatches.Select(m => m.ToString()).Should().Equal(
            "classifier.4.weight: module float32 [10, 84], file float32 [12, 84]",
            "classifier.4.bias: module float32 [10], file float32 [12]");
    }

    [Test]
    public void Compare_CheckpointInFloat64_ListsEveryKeyAsADtypeMismatch()
    {
        using var model = new LeNet();

        var comparison = StateDictReport.Compare(model, _torch.File("lenet_float64.pth"));

        comparison.Mismatches.Select(m => m.Key).Should().Equal(StateDictReport.Create(model).Entries.Select(e => e.Key));
        comparison.Mismatches.Should().OnlyContain(m => m.ModuleDType == ScalarType.Float32 && m.FileDType == ScalarType.Float64
            && m.ModuleShape.SequenceEqual(m.FileShape));
    }

    [Test]
    public void Compare_DocumentedModelAgainstTheQuickstartsCheckpoint_Matches()
    {
        using var model = new NeuralNetwork();
        using var before = model.parameters().First().detach().clone();

        var comparison = StateDictReport.Compare(model, _torch.File("quickstart.pth"));

        comparison.IsMatch.Should().BeTrue();
        comparison.ToString().Should().Be($"All keys, shapes and dtypes match {comparison.FilePath}.");
        // Nothing was loaded.
        model.parameters().First().allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }
}
