using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Serving;

/// <summary>A DI-built <see cref="Predictor"/> serving what PyTorch users ship: zoo models saved by torch as
/// TorchScript (<c>torch.jit.script</c> and <c>torch.jit.trace</c>, no C# class), and their state_dicts loaded into the
/// C# classes through a model factory; each answers torch's <c>softmax(model(x), 1)</c> within 1e-5 and its argmax
/// exactly.</summary>
[Category(PyTorchOracle.Category)]
public sealed class PredictorTorchScriptOracleTests
{
    private static readonly Dictionary<string, string> How = new()
    {
        ["lenet"] = "script", ["batchnorm_cnn"] = "trace", ["residual"] = "trace", ["text"] = "script", ["bigru"] = "trace",
    };

    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("serving_torchscript.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCase("lenet")]
    [TestCase("batchnorm_cnn")]
    [TestCase("residual")]
    [TestCase("text")]
    [TestCase("bigru")]
    public async Task AddNeuralNetPredictor_ModelPath_ServesTheTorchScriptFileAsTorchComputesIt(string name)
    {
        var (shape, dtype) = ZooModels.Sample(name);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddNeuralNetPredictor(o =>
        {
            o.ModelPath = _torch.File($"{name}.{How[name]}.pt");
            o.InputShape = shape;
            o.InputElementType = dtype == torch.ScalarType.Int64 ? InputElementType.Int64 : InputElementType.Float32;
            o.Device = "cpu";
            o.MaxBatchWait = TimeSpan.FromMilliseconds(20);
        });
        services.AddHealthChecks().AddCheck<PredictorHealthCheck>("model");
        await using var provider = services.BuildServiceProvider();
        var predictor = provider.GetRequiredService<Predictor>();

        var predictions = await Predict(predictor, name, together: false);
        var batched = await Predict(predictor, name, together: true);
        var added = LeakCheck.LiveTensorsAddedBy(() => Predict(predictor, name, together: true).GetAwaiter().GetResult(), repetitions: 5);
        added.Should().Be(0, "every tensor of a forward pass is disposed");
        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        ShouldBeTorchs(predictions, name);
        ShouldBeTorchs(batched, name);
        predictor.Variant.Should().BeNull();
        predictor.ModelText.Should().StartWith("RecursiveScriptModule(");
        predictor.ClassCount.Should().Be((int)_torch.Array($"{name}.probabilities").Shape[1]);
        report.Status.Should().Be(HealthStatus.Healthy);
    }

    [TestCase("lenet", PredictionEngine.LibTorch)]
    [TestCase("lenet", PredictionEngine.OnnxRuntime)]
    [TestCase("batchnorm_cnn", PredictionEngine.OnnxRuntime)]
    [TestCase("text", PredictionEngine.LibTorch)]
    public async Task AddNeuralNetPredictor_ModelFactory_ServesTorchsStateDictInTheCSharpClass(string name, PredictionEngine engine)
    {
        var (shape, dtype) = ZooModels.Sample(name);
        var services = new ServiceCollection();
        services.AddNeuralNetPredictor(() => ZooModels.Create(name), o =>
        {
            o.WeightsPath = _torch.File($"{name}.pth");
            o.InputShape = shape;
            o.InputElementType = dtype == torch.ScalarType.Int64 ? InputElementType.Int64 : InputElementType.Float32;
            o.Device = "cpu";
            o.Engine = engine;
        });
        await using var provider = services.BuildServiceProvider();
        var predictor = provider.GetRequiredService<Predictor>();

        var predictions = await Predict(predictor, name, together: true);

        ShouldBeTorchs(predictions, name);
        predictor.Engine.Should().Be(engine);
    }

    // The oracle's batch as requests: each sample flattened, one request each (several at once) or one batch.
    private async Task<IReadOnlyList<ClassPrediction>> Predict(Predictor predictor, string name, bool together)
    {
        var input = _torch.Array($"{name}.input");
        var count = (int)input.Shape[0];
        var length = (int)(input.Count / count);
        if (predictor.InputElementType == InputElementType.Int64)
        {
            var tokens = input.ToInt64().Chunk(length).ToArray();
            return together ? await predictor.PredictBatchAsync(tokens) : await Task.WhenAll(tokens.Select(t => predictor.PredictAsync(t)));
        }
        var values = input.ToFloat32().Chunk(length).ToArray();
        return together ? await predictor.PredictBatchAsync(values) : await Task.WhenAll(values.Select(v => predictor.PredictAsync(v)));
    }

    private void ShouldBeTorchs(IReadOnlyList<ClassPrediction> predictions, string name)
    {
        // float32 forward passes in other summation orders (and batch sizes): 1e-5 on probabilities in [0, 1].
        OracleAssert.Close(predictions.SelectMany(p => p.Probabilities).ToArray(), _torch.Array($"{name}.probabilities").ToFloat32(), 1e-5, $"{name} probabilities");
        predictions.Select(p => (long)p.Class).Should().Equal(_torch.Array($"{name}.classes").ToInt64());
    }
}
