using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Tests.Oracle;

namespace NeuralNet.Torch.Tests.Prediction;

/// <summary>The softmax and argmax every prediction path ends with, against torch's <c>nn.Softmax(dim=1)</c> and
/// <c>argmax(1)</c> on the same rows: more than 10,000 rows of 1 to 1,000 classes, with ties, NaN, +/-inf, all -inf
/// and logits near float32's largest value.</summary>
[Category(PyTorchOracle.Category)]
public sealed class PredictionResultsOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("softmax_rows.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(10)]
    [TestCase(37)]
    [TestCase(100)]
    [TestCase(1000)]
    public void FromLogits_TorchsRows_ProbabilitiesWithin1e6_AndTheSameClassesExactly(int classes)
    {
        var logits = _torch.Array($"logits.{classes}");
        var rows = (int)logits.Shape[0];
        var values = logits.ToFloat32();

        var predictions = PredictionResults.FromLogits(values, rows, classes);

        // exp and the sum run in another order and with another exp than torch's (Sleef) kernel: a few float32 ulps
        // of values at most 1, so 1e-6; NaN rows must be NaN in the same places.
        OracleAssert.Close(predictions.SelectMany(p => p.Probabilities).ToArray(), _torch.Array($"softmax.{classes}").ToFloat32(), 1e-6, $"softmax of {classes} classes");
        OracleAssert.SameSequence(predictions.Select(p => (long)p.Class).ToList(), _torch.Array($"argmax.{classes}").ToInt64(), $"argmax of {classes} classes");
    }

    [Test]
    public void Rows_AreMoreThanTenThousand() => _torch.Json("rows").GetInt32().Should().BeGreaterThanOrEqualTo(10_000);
}
