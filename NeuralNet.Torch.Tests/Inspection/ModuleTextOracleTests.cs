using System.Text.RegularExpressions;
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>repr(module) against torch's own: every layer type of module_text.py built with non-default settings,
/// the containers, the zoo models and TorchScript archives of two of them.</summary>
[Category(PyTorchOracle.Category)]
public sealed class ModuleTextOracleTests
{
    private OracleRun _layers = null!;

    [OneTimeSetUp]
    public void RunTorch() => _layers = PyTorchOracle.Run("module_text.py");

    [OneTimeTearDown]
    public void Cleanup() => _layers?.Dispose();

    [Test]
    public void Cases_AreTheScriptsLayers()
    {
        var names = _layers.Json("names").EnumerateArray().Select(e => e.GetString()!).ToList();

        OracleAssert.SameSequence(LayerCases.All.Keys.ToList(), names, "layer names (LayerCases.cs against module_text.py)");
    }

    [TestCaseSource(typeof(LayerCases), nameof(LayerCases.Exact))]
    public void ToPyTorchString_Layer_IsTorchsRepr(string name)
    {
        using var module = LayerCases.All[name]();

        OracleAssert.SameText(module.ToPyTorchString(), _layers.Text($"{name}.repr"), name);
    }

    [TestCaseSource(nameof(PartialCases))]
    public void ToPyTorchString_SettingTorchSharpDoesNotExpose_IsLeftOutOrShownAsUnknown(string name)
    {
        using var module = LayerCases.All[name]();
        var (library, torchOnly) = LayerCases.Partial[name];
        var torch = _layers.Text($"{name}.repr");

        module.ToPyTorchString().Should().Be(library);
        // The only difference from torch's text is the documented one.
        (library.Contains('?', StringComparison.Ordinal) ? library.Replace("?", torchOnly, StringComparison.Ordinal) : library.Insert(library.Length - 1, torchOnly))
            .Should().Be(torch);
    }

    [TestCaseSource(nameof(NameOnlyCases))]
    public void ToPyTorchString_TransformerBlock_IsItsNameWhereTorchPrintsChildren(string name)
    {
        using var module = LayerCases.All[name]();
        var torch = _layers.Text($"{name}.repr");

        var text = module.ToPyTorchString();

        text.Should().Be(torch[..torch.IndexOf('(', StringComparison.Ordinal)] + "()");
        torch.Should().Contain("\n", "torch prints the children TorchSharp holds inside libtorch");
    }

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.Cases))]
    public void ToPyTorchString_ZooModel_IsTorchsRepr(string name)
    {
        using var model = ZooModels.Create(name);

        OracleAssert.SameText(model.ToPyTorchString(), _layers.Text($"{name}.zoo.repr"), name);
    }

    [TestCase("documented")]
    [TestCase("lenet")]
    public void ToPyTorchString_TorchScriptArchive_IsTorchsReprWithTheOriginalNamesUnknown(string name)
    {
        using var script = TorchSharp.torch.jit.load<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>(_layers.File($"{name}.script.pt"));
        var torch = _layers.Text($"{name}.script.repr");

        // TorchSharp does not expose a script module's type name: everything else is torch's text.
        var expected = Regex.Replace(torch, "original_name=[A-Za-z0-9_]+", "original_name=?");
        expected.Should().NotBe(torch);
        OracleAssert.SameText(script.ToPyTorchString(), expected, $"{name} (TorchScript)");
    }

    [TestCase("documented")]
    [TestCase("lenet")]
    public void ToPyTorchString_TorchScriptLoad_IsTorchsReprWithTheOriginalNamesUnknown(string name)
    {
        using var script = NeuralNet.Torch.Persistence.TorchScript.Load(_layers.File($"{name}.script.pt"));
        var expected = Regex.Replace(_layers.Text($"{name}.script.repr"), "original_name=[A-Za-z0-9_]+", "original_name=?");

        OracleAssert.SameText(script.ToPyTorchString(), expected, $"{name} (TorchScript.Load)");
        OracleAssert.SameText(script.ToPyTorchString(), expected, $"{name} (TorchScript.Load, printed again)");
    }

    private static IEnumerable<TestCaseData> PartialCases() => LayerCases.Partial.Keys.Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    private static IEnumerable<TestCaseData> NameOnlyCases() => LayerCases.NameOnly.Select(n => new TestCaseData(n).SetArgDisplayNames(n));
}
