using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;

namespace NeuralNet.Torch.Tests.Prediction;

/// <summary><c>model.Predict</c> on every zoo model (MLPs, CNNs, a residual net, token models with GRU and LSTM layers)
/// with torch's weights gives torch's <c>softmax(model(x), 1)</c> and <c>argmax(1)</c> on torch's input.</summary>
[Category(PyTorchOracle.Category)]
public sealed class ZooPredictionOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("zoo_predict.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.CasesWithExtras))]
    public void Predict_TorchsWeightsAndInput_GivesTorchsProbabilitiesAndClasses(string name)
    {
        using var model = ZooModels.Create(name);
        model.LoadCheckpoint(_torch.File($"{name}.pth"));
        using var input = _torch.Array($"{name}.input").ToTensor();

        var live = LiveTensors.Settled();

        var predictions = model.Predict(input);

        LiveTensors.Count.Should().Be(live, "every tensor Predict makes is disposed (an LSTM model's autograd graph too)");

        // float32 forward passes in another summation order: 1e-5 on probabilities in [0, 1].
        OracleAssert.Close(predictions.SelectMany(p => p.Probabilities).ToArray(), _torch.Array($"{name}.probabilities").ToFloat32(), 1e-5, $"{name} probabilities");
        predictions.Select(p => (long)p.Class).Should().Equal(_torch.Array($"{name}.classes").ToInt64());
        model.training.Should().BeTrue("Predict restores the caller's training mode");
    }
}
