using System.Text.Json;
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>ModelSummary against summary.py: torch forward hooks computing the documented rule on the same zoo model
/// (and on a model whose forward skips registered children) and input give the same output shapes, parameter counts,
/// uncounted layers, layers not run and multiply-accumulates.</summary>
[Category(PyTorchOracle.Category)]
public sealed class ModelSummaryOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("summary.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.CasesWithExtras))]
    public void Create_ZooModelOnTorchsInput_HasTorchsShapesCountsAndMultiplyAccumulates(string name)
    {
        using var model = ZooModels.Create(name);

        ShouldMatchTorch(model, name);
    }

    [Test]
    public void Create_ModelWhoseForwardSkipsChildren_CountsWhatRanAndListsWhatDidNot_AsTorchsHooks()
    {
        using var model = new AuxBranchNet();

        var summary = ShouldMatchTorch(model, "aux_branch");

        // The training-only head and the unused layer, each without its submodules; the total is torch's, not null.
        summary.LayersNotRun.Should().Equal("aux", "spare");
        summary.MultiplyAccumulatesPerSample.Should().NotBeNull();
    }

    private ModelSummary ShouldMatchTorch(nn.Module<Tensor, Tensor> model, string name)
    {
        using var input = _torch.Array($"{name}.input").ToTensor();
        var torch = _torch.Json($"{name}.summary");

        var summary = ModelSummary.Create(model, input);

        OracleAssert.SameSequence(summary.OutputShape.ToList(), Longs(torch.GetProperty("output")), $"{name} output shape");
        OracleAssert.SameSequence(
            summary.Layers.Select(l => $"{l.Name} {l.TypeName} {Shape(l.OutputShape)} {l.ParameterCount}").ToList(),
            torch.GetProperty("layers").EnumerateArray().Select(l =>
                $"{l.GetProperty("name").GetString()} {l.GetProperty("type").GetString()} " +
                $"{Shape(l.GetProperty("output").ValueKind == JsonValueKind.Null ? null : Longs(l.GetProperty("output")))} {l.GetProperty("params").GetInt64()}").ToList(),
            $"{name} layers");
        OracleAssert.SameSequence(summary.UncountedLayers, Strings(torch.GetProperty("uncounted")), $"{name} uncounted layers");
        OracleAssert.SameSequence(summary.LayersNotRun, Strings(torch.GetProperty("not_run")), $"{name} layers not run");
        summary.TotalParameters.Should().Be(torch.GetProperty("total_params").GetInt64());
        var macs = torch.GetProperty("macs_per_sample");
        summary.MultiplyAccumulatesPerSample.Should().Be(macs.ValueKind == JsonValueKind.Null ? null : macs.GetInt64());
        return summary;
    }

    [Test]
    public void Create_ZooModelsWithTotals_AreAtLeastFiveIncludingConvolutionsAndRecurrentLayers()
    {
        var withTotals = ZooModels.Names.Concat(ZooModels.ExtraNames).Where(n => _torch.Json($"{n}.summary").GetProperty("macs_per_sample").ValueKind != JsonValueKind.Null).ToList();

        withTotals.Should().HaveCountGreaterThanOrEqualTo(5).And.Contain(["lenet", "upconv", "text", "bigru", "bilstm"]);
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static List<long> Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToList();

    private static string Shape(IReadOnlyList<long>? shape) => shape is null ? "--" : "[" + string.Join(", ", shape) + "]";
}
