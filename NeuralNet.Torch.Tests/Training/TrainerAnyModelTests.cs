using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Training;

/// <summary><see cref="Trainer"/> on models and data other than the quickstart's: token ids, regression targets,
/// BatchNorm and Dropout, LSTMs; optimizers, schedules and clipping from <see cref="TrainingOptions"/>; modes;
/// data that does not fit the model or the loss.</summary>
public sealed class TrainerAnyModelTests
{
    [Test]
    public void Fit_TextClassifierOnInt64TokenIds_LearnsTheLastTokensClass()
    {
        torch.manual_seed(1);
        using var generator = new Generator(2);
        using var tokens = torch.randint(0, 100, [512, 12], ScalarType.Int64, generator: generator);
        using var labels = tokens[.., -1].remainder(4);
        using var train = new TensorDataset(tokens.narrow(0, 0, 384), labels.narrow(0, 0, 384));
        using var test = new TensorDataset(tokens.narrow(0, 384, 128), labels.narrow(0, 384, 128));
        using var model = new TextClassifier();

        var result = Trainer.Fit(model, train, test, new TrainingOptions { Epochs = 12, BatchSize = 32, Optimizer = p => optim.Adam(p, 1e-2) });

        result.Final!.Test.Confusion!.ClassCount.Should().Be(4);
        result.Final.TestAccuracy.Should().BeGreaterThan(0.9, "the GRU's last hidden state sees the last token");
        result.Final.TrainLoss.Should().BeLessThan(result.Epochs[0].TrainLoss / 3);
    }

    [Test]
    public void Fit_RegressionWithMseLoss_FitsTheLine_AndEvaluationHasNoAccuracy()
    {
        torch.manual_seed(3);
        using var x = torch.randn(256, 3);
        using var w = torch.tensor(new float[] { 1.5f, -2f, 0.5f }).reshape(3, 1);
        using var y = x.matmul(w).add_(0.25);
        using var data = new TensorDataset(x, y);
        using var model = nn.Sequential(nn.Linear(3, 1));
        using var mse = nn.MSELoss();
        var output = new StringWriter { NewLine = "\n" };

        var result = Trainer.Fit(model, data, data, new TrainingOptions
        {
            Epochs = 30, BatchSize = 32, LossFunction = mse.call, Optimizer = p => optim.SGD(p, 0.1), Output = output, LogInterval = 100,
        });

        result.Final!.TestLoss.Should().BeLessThan(1e-6, "a linear model fits a noiseless line");
        result.Final.Test.Confusion.Should().BeNull("float targets [N, 1] are not classes");
        double.IsNaN(result.Final.TestAccuracy).Should().BeTrue();
        result.Final.Test.Correct.Should().Be(0);
        var lines = output.ToString().Split('\n');
        lines[3].Should().Be("Test Error: ");
        lines[4].Should().MatchRegex(@"^ Avg loss: \d\.\d{6} $", "no accuracy for regression");
    }

    [Test]
    public void Evaluate_ConfusionMatrix_CountsLabelArgmaxPairs()
    {
        torch.manual_seed(4);
        using var images = torch.rand(150, 1, 28, 28);
        using var labels = torch.randint(0, 10, [150]);
        using var data = new TensorDataset(images, labels);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var loader = new BatchLoader(data, batchSize: 64);

        var result = Trainer.Evaluate(model, loader);

        var expected = new long[10, 10];
        using (torch.no_grad())
        using (var predicted = model.forward(images).argmax(1))
        {
            var p = predicted.data<long>().ToArray();
            var l = labels.data<long>().ToArray();
            for (var i = 0; i < p.Length; i++)
            {
                expected[l[i], p[i]]++;
            }
        }
        var matrix = result.Confusion!;
        matrix.ClassCount.Should().Be(10);
        for (var a = 0; a < 10; a++)
        {
            for (var p = 0; p < 10; p++)
            {
                matrix[a, p].Should().Be(expected[a, p], $"actual {a}, predicted {p}");
            }
        }
        matrix.Total.Should().Be(150);
        result.Correct.Should().Be(matrix.Correct);
        result.Accuracy.Should().Be(matrix.Correct / 150.0);
    }

    [Test]
    public void Evaluate_ModelWithAnLstm_ComputesTheLossWithGradModeOn()
    {
        // libtorch 2.10's grad-off CPU LSTM computes wrong values (see InferenceGradMode): the test loop must match
        // the forward pass with grad mode on, which gives torch's outputs (ZooPredictionOracleTests).
        torch.manual_seed(5);
        using var model = new SequenceClassifier(lstm: true);
        using var tokens = torch.randint(0, 100, [40, 12]);
        using var labels = torch.randint(0, 4, [40]);
        using var data = new TensorDataset(tokens, labels);
        using var loader = new BatchLoader(data, batchSize: 40);

        var result = Trainer.Evaluate(model, loader);

        model.eval();
        using var logits = model.forward(tokens);
        using var loss = nn.functional.cross_entropy(logits, labels);
        result.AverageLoss.Should().Be(loss.detach().item<float>());
        model.training.Should().BeFalse("it was left in eval mode by this test, and Evaluate restores the caller's mode");
    }

    [Test]
    public void Loops_RunTrainThenEval_AndRestoreTheCallersMode()
    {
        torch.manual_seed(6);
        using var model = new BatchNormCnn();
        using var images = torch.rand(64, 1, 28, 28);
        using var labels = torch.randint(0, 10, [64]);
        using var data = new TensorDataset(images, labels);
        var modes = new List<(TrainingPhase, bool)>();
        var batchNorm = model.modules().OfType<TorchSharp.Modules.BatchNorm2d>().First();
        using var statsBefore = batchNorm.running_mean!.clone();
        model.eval();

        Trainer.Fit(model, data, data, new TrainingOptions
        {
            Epochs = 1, BatchSize = 32,
            Progress = new Synchronous(p => modes.Add((p.Phase, batchNorm.training))),
        });

        modes.Should().Equal((TrainingPhase.Train, true), (TrainingPhase.Train, true), (TrainingPhase.Test, false), (TrainingPhase.Test, false));
        model.training.Should().BeFalse("the caller's eval mode is restored");
        batchNorm.running_mean!.allclose(statsBefore).Should().BeFalse("BatchNorm updated its statistics in train mode");
        using var statsAfterFit = batchNorm.running_mean!.clone();
        using var loader = new BatchLoader(data);
        model.train();
        Trainer.Evaluate(model, loader);
        batchNorm.running_mean!.equal(statsAfterFit).all().item<bool>().Should().BeTrue("the test loop runs in eval mode");
        model.training.Should().BeTrue();
    }

    [Test]
    public void Fit_StepLrStepsPerEpoch_OneCycleLrPerBatch()
    {
        torch.manual_seed(7);
        using var images = torch.rand(64, 1, 28, 28);
        using var labels = torch.randint(0, 10, [64]);
        using var data = new TensorDataset(images, labels);

        List<double> Rates(LearningRateSchedule schedule)
        {
            using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
            optim.Optimizer? optimizer = null;
            var rates = new List<double>();
            Trainer.Fit(model, data, data, new TrainingOptions
            {
                Epochs = 3, BatchSize = 16, Schedule = schedule,
                Optimizer = p => optimizer = optim.SGD(p, 0.1),
                Progress = new Synchronous(p =>
                {
                    if (p.Phase == TrainingPhase.Train)
                    {
                        rates.Add(optimizer!.ParamGroups.First().LearningRate);
                    }
                }),
            });
            return rates;
        }

        Rates(LearningRateSchedule.StepLR(1, 0.5)).Select(r => Math.Round(r, 12))
            .Should().Equal(0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025);
        var oneCycle = Rates(LearningRateSchedule.OneCycleLR(0.1, 12));
        oneCycle.Should().OnlyHaveUniqueItems("OneCycleLR moves the rate after every batch");
        oneCycle.Max().Should().BeInRange(0.09, 0.1, "it rises to near max_lr, then anneals");
        oneCycle[^1].Should().BeLessThan(oneCycle[0], "and ends below where it started");
    }

    [Test]
    public void Fit_LabelOutOfRange_NamesTheLabelAndTheClasses_BeforeAnyStep()
    {
        using var images = torch.rand(20, 1, 28, 28);
        using var labels = torch.tensor(Enumerable.Range(0, 20).Select(i => i == 13 ? 12L : i % 10).ToArray());
        using var data = new TensorDataset(images, labels);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var before = model.parameters().First().detach().clone();

        FluentActions.Invoking(() => Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 1 })).Should().Throw<ArgumentException>()
            .WithMessage("Expected every label in 0..9 (the model outputs 10 classes); found label 12 in the dataset (labels from 0 to 12).*");
        model.parameters().First().equal(before).all().item<bool>().Should().BeTrue("no step was taken");
    }

    [Test]
    public void Fit_Int32LabelsWithTheDefaultLoss_SaysWhatTheLossTakes()
    {
        using var images = torch.rand(8, 1, 28, 28);
        using var labels = torch.zeros(new long[] { 8 }, ScalarType.Int32);
        using var data = new TensorDataset(images, labels);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        FluentActions.Invoking(() => Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 1 })).Should().Throw<ArgumentException>()
            .WithMessage("Expected labels the default loss (CrossEntropyLoss) takes for predictions Float32 [8, 10]: int64 class indices [8] " +
                         "or float class probabilities [8, 10]; found Int32 [8].*");
    }

    [Test]
    public void Fit_ALossThatCannotTakeTheLabels_IsWrappedNamingShapesAndBatch()
    {
        using var images = torch.rand(8, 1, 28, 28);
        using var labels = torch.zeros(new long[] { 8, 3 });
        using var data = new TensorDataset(images, labels);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        FluentActions.Invoking(() => Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 1, LossFunction = (p, y) => nn.functional.mse_loss(p, y) }))
            .Should().Throw<ArgumentException>()
            .WithMessage("The loss failed on predictions Float32 [8, 10] and labels Float32 [8, 3] (epoch 1, batch 0): *");
    }

    [Test]
    public void Fit_InputsTheModelCannotTake_IsWrappedNamingTheInputs()
    {
        using var inputs = torch.rand(8, 5);
        using var labels = torch.zeros(new long[] { 8 }, ScalarType.Int64);
        using var data = new TensorDataset(inputs, labels);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        FluentActions.Invoking(() => Trainer.Fit(model, data, data, new TrainingOptions { Epochs = 1 })).Should().Throw<ArgumentException>()
            .WithMessage("The model failed on inputs Float32 [8, 5] (epoch 1, batch 0): *");
    }

    [Test]
    public void Fit_EmptyTensorDataset_Throws()
    {
        using var inputs = torch.zeros(0, 4);
        using var labels = torch.zeros(new long[] { 0 }, ScalarType.Int64);
        using var empty = new TensorDataset(inputs, labels);
        using var model = nn.Sequential(nn.Linear(4, 2));

        FluentActions.Invoking(() => Trainer.Fit(model, empty, empty)).Should().Throw<ArgumentException>()
            .WithMessage("Expected at least one sample; the dataset is empty.*");
    }

    [TestCase(0.0)]
    [TestCase(double.NaN)]
    public void Fit_MaxGradientNormOutOfRange_Throws(double norm)
    {
        using var inputs = torch.zeros(2, 4);
        using var labels = torch.zeros(new long[] { 2 }, ScalarType.Int64);
        using var data = new TensorDataset(inputs, labels);
        using var model = nn.Sequential(nn.Linear(4, 2));

        FluentActions.Invoking(() => Trainer.Fit(model, data, data, new TrainingOptions { MaxGradientNorm = norm })).Should().Throw<ArgumentException>()
            .WithMessage("Expected a positive, finite MaxGradientNorm; found *");
    }

    [Test]
    public void Loops_OnTokenAndRegressionData_LeaveNoTensorsBehind()
    {
        torch.manual_seed(8);
        using var tokens = torch.randint(0, 100, [64, 12]);
        using var classes = torch.randint(0, 4, [64]);
        using var text = new TensorDataset(tokens, classes);
        using var lstm = new SequenceClassifier(lstm: true);
        using var x = torch.randn(64, 3);
        using var y = torch.randn(64, 1);
        using var regression = new TensorDataset(x, y);
        using var linear = nn.Sequential(nn.Linear(3, 1));
        using var mse = nn.MSELoss();
        var textOptions = new TrainingOptions { Epochs = 1, BatchSize = 16, Optimizer = p => optim.AdamW(p, 1e-3), MaxGradientNorm = 1 };

        var textAdded = LeakCheck.LiveTensorsAddedBy(() => Trainer.Fit(lstm, text, text, textOptions), repetitions: 2);
        var regressionAdded = LeakCheck.LiveTensorsAddedBy(
            () => Trainer.Fit(linear, regression, regression, new TrainingOptions { Epochs = 1, BatchSize = 16, LossFunction = mse.call }), repetitions: 3);

        textAdded.Should().Be(0);
        regressionAdded.Should().Be(0);
    }

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
