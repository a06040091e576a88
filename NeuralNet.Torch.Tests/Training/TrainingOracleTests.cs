using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Training;

/// <summary><see cref="Trainer.Fit"/> against torch's own training loop (training.py): the BatchNorm CNN of the zoo
/// (dropout 0, so randomness does not enter; BatchNorm in train mode) from torch's initial weights on torch's 20
/// batches, per optimizer, gives torch's losses and final state_dict, running statistics included; the quickstart's
/// loops on a tiny set print torch's text.</summary>
[Category(PyTorchOracle.Category)]
public sealed class TrainingOracleTests
{
    // How many times torch's own float32 spread ours may be from torch (see the test).
    private const double SpreadMultiple = 4;

    // The least float32 tolerance, in ulps of the largest value compared.
    private const double UlpFloor = 4;

    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("training.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    public static IEnumerable<TestCaseData> Cases() =>
        from name in new[] { "sgd_momentum", "adam", "adamw", "sgd_onecycle_clip" }
        from dtype in new[] { "float32", "float64" }
        select new TestCaseData(name, dtype).SetName($"Fit_{name}_{dtype}_GivesTorchsLossesAndWeights");

    [TestCaseSource(nameof(Cases))]
    public void Fit_TwentyStepsOfBatchNormCnn_GivesTorchsLossesAndFinalStateDict(string name, string dtype)
    {
        var scalar = dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        using var model = new BatchNormCnn(0, 0);
        model.LoadCheckpoint(_torch.File("initial.pth"));
        model.to(scalar);
        using var torchInputs = _torch.Array("inputs").ToTensor();
        using var inputs = torchInputs.to(scalar);
        using var labels = _torch.Array("labels").ToTensor();
        using var data = new TensorDataset(inputs, labels);
        var losses = new List<double>();
        var options = Options(name) with
        {
            Epochs = 1,
            BatchSize = 16,
            Progress = new Synchronous(p =>
            {
                if (p.Phase == TrainingPhase.Train)
                {
                    losses.Add(p.Loss);
                }
            }),
        };

        Trainer.Fit(model, data, data, options);

        var expectedLosses = _torch.Array($"{name}.{dtype}.losses").ToFloat64();
        var expectedState = Checkpoint.ReadStateDict(_torch.File($"{name}.{dtype}.pth"));
        var actualState = model.state_dict();
        actualState.Keys.Should().BeEquivalentTo(expectedState.Keys, "the same state_dict (TorchSharp lists parameters first)");
        // float64: 1e-12 (torch and libtorch 2.10 sum in other orders; 20 steps amplify rounding to ~1e-14). float32:
        // a multiple of torch's own spread on this CPU (training.py: its float32 run against its float64 run and
        // against itself on 2 threads). Ours and torch's float32 runs each stray from the exact path by about that
        // spread, so they are within twice it of each other; SpreadMultiple allows twice that again for a BLAS that
        // blocks its sums differently. Adam divides by sqrt(v) + eps, so a rounding-level change of a near-zero
        // gradient moves a weight by up to lr: the spread, not a fixed number, says how far that goes here. Never
        // below a few float32 ulps of the largest value, the rounding of the result itself.
        var spread = dtype == "float64" ? null : _torch.Array($"{name}.float32.spread").ToFloat64();
        double largestWeight;
        using (NewDisposeScope())
        {
            largestWeight = expectedState.Values.Where(t => t.is_floating_point()).Max(t => t.abs().max().to(ScalarType.Float64).item<double>());
        }
        var lossTolerance = spread is null ? 1e-12 : Math.Max(SpreadMultiple * spread[0], UlpFloor * Ulp32(expectedLosses.Max()));
        var tolerance = spread is null ? 1e-12 : Math.Max(SpreadMultiple * spread[1], UlpFloor * Ulp32(largestWeight));
        var lossDifference = losses.Zip(expectedLosses, (a, e) => Math.Abs(a - e)).Max();
        var worstWeight = expectedState.Max(kv =>
        {
            using var a = actualState[kv.Key].to(ScalarType.Float64);
            using var e = kv.Value.to(ScalarType.Float64);
            using var d = (a - e).abs().max();
            return d.item<double>();
        });
        TestContext.Progress.WriteLine($"{name} {dtype}: max |loss - torch| {lossDifference:G3}, max |weight - torch| {worstWeight:G3} (tolerances {lossTolerance:G3}, {tolerance:G3})");
        losses.Should().HaveCount(20);
        lossDifference.Should().BeLessThanOrEqualTo(lossTolerance, "every batch's loss is torch's");
        worstWeight.Should().BeLessThanOrEqualTo(tolerance, "the final weights, BatchNorm running statistics and batch counts are torch's");
        foreach (var (key, expected) in expectedState)
        {
            expected.Dispose();
        }
    }

    [Test]
    public void Fit_QuickstartOnATinySet_PrintsTorchsLines()
    {
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(_torch.File("quickstart.pth"));
        string[] classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
        using var trainX = _torch.Array("quickstart.train_x").ToTensor();
        using var trainY = _torch.Array("quickstart.train_y").ToTensor();
        using var testX = _torch.Array("quickstart.test_x").ToTensor();
        using var testY = _torch.Array("quickstart.test_y").ToTensor();
        using var train = new ImageDataset(trainX, trainY, classes);
        using var test = new ImageDataset(testX, testY, classes);
        var output = new StringWriter { NewLine = "\n" };

        Trainer.Fit(model, train, test, new TrainingOptions { Epochs = 3, LogInterval = 1, Output = output });

        OracleAssert.SameText(output.ToString(), _torch.Text("quickstart.text"), "the quickstart's printed lines");
    }

    private static double Ulp32(double value) => MathF.BitIncrement(MathF.Abs((float)value)) - MathF.Abs((float)value);

    private static TrainingOptions Options(string name) => name switch
    {
        "sgd_momentum" => new TrainingOptions { Optimizer = p => optim.SGD(p, 0.05, momentum: 0.9, weight_decay: 1e-4) },
        "adam" => new TrainingOptions { Optimizer = p => optim.Adam(p, 1e-3) },
        "adamw" => new TrainingOptions { Optimizer = p => optim.AdamW(p, 1e-3, weight_decay: 0.01) },
        "sgd_onecycle_clip" => new TrainingOptions
        {
            Optimizer = p => optim.SGD(p, 0.01, momentum: 0.9),
            Schedule = LearningRateSchedule.OneCycleLR(0.1, 20),
            MaxGradientNorm = 0.5,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
