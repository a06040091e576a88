using System.Globalization;
using System.Text.Json;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>
/// ONNX's own judgement of every kind of graph the library exports: each model of <see cref="ExportCases"/>, the zoo's
/// sequential models with torch's weights, and a Triton repository's model pass
/// <c>onnx.checker.check_model(model, full_check=True)</c> (python3-onnx 1.12), and ONNX's shape inference derives
/// the output shape the exporter declared. The zoo models also run in ONNX Runtime within 1e-5 of torch itself and of
/// libtorch. Two Python processes for the fixture: torch makes the zoo's weights, then one check of every file.
/// </summary>
[Category(PyTorchOracle.Category)]
public sealed class OnnxCheckerTests
{
    private static readonly string[] SequentialZoo = ["documented", "quickstart", "mlp", "lenet", "batchnorm_cnn"];

    private readonly Dictionary<string, OnnxExportInfo> _exported = new(StringComparer.Ordinal);
    private TempFolder _folder = null!;
    private OracleRun _torch = null!;
    private OracleRun _checks = null!;

    private static IEnumerable<TestCaseData> ZooCases() => SequentialZoo.Select(n => new TestCaseData(n).SetArgDisplayNames(n));

    [OneTimeSetUp]
    public void ExportAndCheck()
    {
        PyTorchOracle.RequireTorch();
        _folder = new TempFolder();
        _torch = PyTorchOracle.Run("zoo_parity.py");
        foreach (var c in ExportCases.All)
        {
            using var model = c.Create();
            Export(model, $"case.{c.Name}", new OnnxExportOptions { InputShape = c.InputShape });
        }
        foreach (var name in SequentialZoo)
        {
            using var model = TorchsZooModel(name);
            Export(model, $"zoo.{name}", new OnnxExportOptions { InputShape = ZooModels.Sample(name).Shape });
        }
        using (var documented = new NeuralNetwork())
        {
            Export(documented, "defaults.documented", null);
        }
        using (var lenet = TorchsZooModel("lenet"))
        {
            var repository = Path.Combine(_folder.Path, "repository");
            var export = new OnnxExportOptions { InputShape = [1, 28, 28], InputName = "images" };
            _exported["triton.lenet"] = TritonModelRepository.Write(lenet, repository, "lenet", new TritonModelOptions { Export = export });
            File.Copy(Path.Combine(repository, "lenet", "1", TritonModelRepository.ModelFileName), OnnxFile("triton.lenet"));
        }
        _checks = PyTorchOracle.Run("onnx_check.py", _folder.Path);
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        _checks?.Dispose();
        _torch?.Dispose();
        _folder?.Dispose();
    }

    [TestCaseSource(typeof(ExportCases), nameof(ExportCases.Cases))]
    public void Checker_EveryLayerFamilysGraph_PassesFullCheckWithTheDeclaredOutputShape(ExportCase c) => AssertChecked($"case.{c.Name}");

    [TestCaseSource(nameof(ZooCases))]
    public void Checker_ZooModelWithTorchsWeights_PassesFullCheckWithTheDeclaredOutputShape(string name) => AssertChecked($"zoo.{name}");

    [Test]
    public void Checker_DefaultExportAndTritonRepositoryModel_PassFullCheck()
    {
        AssertChecked("defaults.documented");
        AssertChecked("triton.lenet");
    }

    [TestCaseSource(nameof(ZooCases))]
    public void OnnxRuntime_ZooModelWithTorchsWeights_GivesTorchsOutputAndLibTorchs(string name)
    {
        using var model = TorchsZooModel(name);
        using var input = _torch.Array($"{name}.input").ToTensor();
        var torchOutput = _torch.Array($"{name}.output").ToFloat32();
        using var libtorch = Forward(model, input);

        using var onnx = new OnnxRuntimeModel(OnnxFile($"zoo.{name}"));
        var (values, shape) = onnx.Run(input);

        shape.Should().Equal(_torch.Array($"{name}.output").Shape);
        TestContext.Out.WriteLine($"{name}: largest difference from torch {torchOutput.Zip(values).Max(p => Math.Abs(p.First - p.Second)):G3}, " +
            $"from libtorch {OnnxRuntimeModel.MaxDifference(libtorch, values):G3}");
        // float32 sums of up to 1,568 terms in three summation orders (torch's generic BLAS, MKL, ONNX Runtime's
        // kernels): a few 1e-7 on outputs of order 1. 1e-5 is the contract.
        OracleAssert.Close(values, torchOutput, 1e-5, $"{name}: ONNX Runtime against torch");
        OnnxRuntimeModel.MaxDifference(libtorch, values).Should().BeLessThanOrEqualTo(1e-5, "ONNX Runtime against libtorch");
    }

    private void AssertChecked(string name)
    {
        var entry = _checks.Json("checks").GetProperty(name + ".onnx");
        var check = entry.GetProperty("check").GetString();
        check.Should().Be("ok", $"onnx.checker.check_model(full_check=True) on {name}.onnx said: {check}");
        var output = entry.GetProperty("output");
        output.ValueKind.Should().Be(JsonValueKind.Array, $"ONNX's shape inference on {name}.onnx: {output}");
        var info = _exported[name];
        output.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText())
            .Should().Equal([new OnnxExportOptions().BatchDimensionName, .. info.OutputShape.Select(d => d.ToString(CultureInfo.InvariantCulture))],
                "ONNX's own shape inference derives the output shape the exporter declared (libtorch's, see LayerExportTests)");
    }

    private void Export(nn.Module<Tensor, Tensor> model, string name, OnnxExportOptions? options) =>
        _exported[name] = model.ExportOnnx(OnnxFile(name), options);

    private string OnnxFile(string name) => _folder.File(name + ".onnx");

    private nn.Module<Tensor, Tensor> TorchsZooModel(string name)
    {
        var model = ZooModels.Create(name);
        model.LoadCheckpoint(_torch.File($"{name}.pth"));
        model.eval();
        return model;
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var noGrad = no_grad();
        return model.call(input);
    }
}
