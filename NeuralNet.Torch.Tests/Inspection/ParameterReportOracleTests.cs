using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>The document's printed output against torch's (parameter_text.py): the "Model structure" block with every
/// <c>Layer: ... | Size: ... | Values : ...</c> entry for weights torch made and saved (the library loads them and
/// prints them), the <c>Predicted class: tensor([k])</c> line, and torch.Size texts.</summary>
[Category(PyTorchOracle.Category)]
public sealed class ParameterReportOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("parameter_text.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.CasesWithExtras))]
    public void ToString_TorchsWeightsLoaded_IsWhatTheDocumentsScriptPrints(string name)
    {
        using var model = ZooModels.Create(name);
        model.LoadCheckpoint(_torch.File($"{name}.pth"));

        var report = ParameterReport.Create(model);

        // Six entries for the document's model and the quickstart variant; 4-d convolution weights print as param[:2].
        OracleAssert.SameText(report.ToString(), _torch.Text($"{name}.parameters"), $"{name} parameter section");
    }

    [TestCase("documented")]
    [TestCase("quickstart")]
    public void PredictedClass_TorchsWeightsAndInput_IsTheDocumentsLine(string name)
    {
        using var model = (NeuralNetwork)ZooModels.Create(name);
        model.LoadCheckpoint(_torch.File($"{name}.pth"));
        model.eval();
        using var x = _torch.Array($"{name}.X").ToTensor();
        using var noGrad = no_grad();

        // The document: logits = model(X); pred_probab = nn.Softmax(dim=1)(logits); y_pred = pred_probab.argmax(1).
        using var logits = model.call(x);
        using var softmax = nn.Softmax(1);
        using var probabilities = softmax.call(logits);
        using var predicted = probabilities.argmax(1);

        OracleAssert.SameText($"Predicted class: {predicted.ToPyTorchString()}\n", _torch.Text($"{name}.prediction"), $"{name} prediction");
        model.PredictOne(x).Class.Should().Be((int)predicted.item<long>());
    }

    [Test]
    public void ToTorchSize_ZeroToSixDimensions_IsTorchsText()
    {
        foreach (var size in _torch.Json("sizes").EnumerateArray())
        {
            var shape = size.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();

            shape.ToTorchSize().Should().Be(size.GetProperty("text").GetString());
        }
    }
}
