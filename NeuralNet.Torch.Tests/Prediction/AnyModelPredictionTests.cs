using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Prediction;

/// <summary><c>Predict</c>/<c>PredictOne</c> on models other than the document's: CNNs, a token classifier, plain
/// Sequentials, models that break the rules.</summary>
public sealed class AnyModelPredictionTests
{
    // libtorch's own forward pass on both sides; only the softmax differs (managed against libtorch's): a few ulps.
    private const float Tolerance = 1e-6f;

    [Test]
    public void Predict_LeNet_EqualsSoftmaxArgmaxOfItsForward()
    {
        torch.manual_seed(4);
        using var model = new LeNet();
        using var x = torch.rand(64, 1, 28, 28);

        var predictions = model.Predict(x);

        LibTorchReference.ShouldMatch(predictions, LibTorchReference.Predict(model, x), Tolerance);
        predictions.Should().OnlyContain(p => p.Label == null && Math.Abs(p.Probabilities.Sum() - 1) < 1e-5);
    }

    [Test]
    public void Predict_BatchNormCnnInMixedModes_RunsInEvalMode_AndGivesEveryModuleItsOwnModeBack()
    {
        torch.manual_seed(4);
        using var model = new BatchNormCnn();
        using var x = torch.rand(8, 1, 28, 28);
        var expected = LibTorchReference.Predict(model, x);
        model.train();
        var classifier = model.named_children().Single(c => c.name == "classifier").module;
        classifier.eval();
        var modes = model.modules().Select(m => m.training).ToArray();

        var first = model.Predict(x);
        var second = model.Predict(x);

        // Dropout off and BatchNorm on its running statistics: deterministic, and equal to eval mode's result.
        LibTorchReference.ShouldBeIdentical(second, first);
        LibTorchReference.ShouldMatch(first, expected, Tolerance);
        model.modules().Select(m => m.training).Should().Equal(modes);
        modes.Should().Contain(true).And.Contain(false);
        model.parameters().Count(p => p.grad is not null).Should().Be(0, "no autograd graph is recorded");
    }

    [TestCase(ScalarType.Int64)]
    [TestCase(ScalarType.Int32)]
    public void Predict_TokenClassifier_TakesIntegerTokenIdsUnchanged(ScalarType dtype)
    {
        torch.manual_seed(6);
        using var model = new TextClassifier();
        using var tokens = torch.randint(0, 100, [5, 12], ScalarType.Int64);
        using var input = tokens.to_type(dtype);
        using var before = input.clone();

        var predictions = model.Predict(input);

        LibTorchReference.ShouldMatch(predictions, LibTorchReference.Predict(model, tokens), Tolerance);
        predictions.Should().OnlyContain(p => p.Probabilities.Count == 4);
        input.dtype.Should().Be(dtype);
        Same(input, before).Should().BeTrue("the caller's tensor is not changed");
    }

    [TestCase(ScalarType.Int64)]
    [TestCase(ScalarType.Int32)]
    public void Predict_TokenIdOutOfRange_ThrowsArgumentException_NamingTheIdsTheEmbeddingTakesAndLibTorchsReason(ScalarType dtype)
    {
        using var model = new TextClassifier();
        using var tokens = torch.randint(0, 100, [2, 12], dtype);
        using (torch.NewDisposeScope())
        {
            tokens[1, 3] = torch.tensor(100, dtype);
            tokens[0, 0] = torch.tensor(-1, dtype);
        }

        var act = () => model.Predict(tokens);

        var e = act.Should().Throw<ArgumentException>().WithMessage(
            "Expected samples of token ids (int64 or int32) in [0, 100) (the first layer, 'embedding' Embedding(100, 16), looks them up); " +
            "found ids from -1 to 100 in input [2, 12]. The forward failed with: *index*out of range*").Which;
        e.ParamName.Should().Be("input");
        e.Message.Should().NotContain("\n").And.NotContain("Exception raised from");
    }

    [Test]
    public void Predict_FloatValuesToAnEmbedding_NameTheIdsItTakesAndTheDtypeGiven()
    {
        using var model = new TextClassifier();
        using var values = torch.rand(2, 12);

        var act = () => model.Predict(values);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Expected samples of token ids (int64 or int32) in [0, 100) (the first layer, 'embedding' Embedding(100, 16), looks them up); " +
            "found input [2, 12] of dtype Float32. The forward failed with: *");
    }

    [Test]
    public void Predict_LeNetGivenThreeChannelImages_NamesTheSampleShapeItTakesAndTheShapeGiven_AndLeavesTheModelAsItWas()
    {
        torch.manual_seed(4);
        using var model = new LeNet();
        using var x = torch.rand(2, 3, 28, 28);
        model.train();
        model.named_children().Single(c => c.name == "classifier").module.eval();
        var modes = model.modules().Select(m => m.training).ToArray();
        var before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        var act = () => model.Predict(x);

        var e = act.Should().Throw<ArgumentException>()
            .WithMessage("Expected samples of shape [1, H, W] (the first layer, 'features.0' Conv2d(1, 6, kernel_size=(5, 5), *), takes 1 channel); *")
            .WithMessage("*; found samples of shape [3, 28, 28] (input [2, 3, 28, 28], Float32). The forward failed with: *with 1 channels to Conv2d.*").Which;
        e.ParamName.Should().Be("input");
        e.Message.Should().NotContain("\n");
        model.modules().Select(m => m.training).Should().Equal(modes);
        modes.Should().Contain(true).And.Contain(false);
        foreach (var (key, value) in model.state_dict())
        {
            Same(value, before[key]).Should().BeTrue(key);
            before[key].Dispose();
        }
        model.parameters().Count(p => p.grad is not null).Should().Be(0);
    }

    [Test]
    public void PredictOne_LeNetGivenAThreeChannelImage_NamesTheSampleShapeItTakesAndTheSampleGiven()
    {
        using var model = new LeNet();
        using var image = torch.rand(3, 28, 28);

        var act = () => model.PredictOne(image);

        act.Should().Throw<ArgumentException>()
            .WithMessage("Expected samples of shape [1, H, W] (*takes 1 channel); found samples of shape [3, 28, 28] (input [1, 3, 28, 28], Float32)*")
            .Which.ParamName.Should().Be("sample");
    }

    [Test]
    public void Predict_FlattenThenLinear_NamesTheValuesPerSampleItTakes()
    {
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10));
        using var x = torch.rand(2, 3, 28, 28);

        var act = () => model.Predict(x);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Expected samples of 784 values, in any shape (the first layers, '0' Flatten(start_dim=1, end_dim=-1) and " +
            "'1' Linear(in_features=784, out_features=10, bias=True), take 784 features per sample); found samples of shape " +
            "[3, 28, 28] (input [2, 3, 28, 28], Float32), 2352 values each. The forward failed with: mat1 and mat2 shapes cannot be multiplied*");
    }

    [Test]
    public void Predict_LinearFirst_NamesTheFeaturesOnTheLastDimension()
    {
        using var model = nn.Sequential(nn.Dropout(0.1), nn.Linear(4, 3));
        using var x = torch.rand(2, 5);

        var act = () => model.Predict(x);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Expected samples of shape [..., 4] (the first layer, '1' Linear(in_features=4, out_features=3, bias=True), takes 4 features " +
            "on the last dimension); found samples of shape [5] (input [2, 5], Float32). The forward failed with: *");
    }

    [Test]
    public void Predict_ShapeTheModelRejects_ThrowsArgumentException_NamingTheShapeAndLibTorchsOneLineReason()
    {
        using var model = new LeNet();
        using var x = torch.rand(2, 1, 20, 20);

        var act = () => model.Predict(x);

        var e = act.Should().Throw<ArgumentException>()
            .WithMessage("The model cannot take input of shape [2, 1, 20, 20] (Float32): mat1 and mat2 shapes cannot be multiplied (2x144 and 400x120)*").Which;
        e.Message.Should().NotContain("\n");
        e.InnerException.Should().BeOfType<System.Runtime.InteropServices.ExternalException>();
    }

    [Test]
    public void Predict_OutputThatIsNotTwoDimensional_ThrowsNamingItsShape()
    {
        using var model = nn.Sequential(nn.Conv2d(1, 3, 3));
        using var x = torch.rand(2, 1, 8, 8);

        var act = () => model.Predict(x);

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Expected the model to return logits of shape [N, C] (N = 2 samples, C >= 1 classes, floating point); it returned [2, 3, 6, 6] (Float32) for input of shape [2, 1, 8, 8].");
    }

    [Test]
    public void Predict_OneClass_HasProbabilityOne()
    {
        torch.manual_seed(1);
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(784, 1));
        using var x = torch.rand(3, 28, 28);

        var predictions = model.Predict(x);

        predictions.Should().HaveCount(3).And.OnlyContain(p => p.Class == 0 && p.Probabilities.Count == 1 && p.Probabilities[0] == 1f);
    }

    [Test]
    public void Predict_ModelThatReturnsItsInput_LeavesTheInputUnchanged()
    {
        using var model = nn.Sequential(nn.Identity());
        using var x = torch.randn(4, 7);
        using var before = x.clone();

        var predictions = model.Predict(x);

        Same(x, before).Should().BeTrue("the softmax runs on a copy when the output may be the input");
        LibTorchReference.ShouldMatch(predictions, LibTorchReference.Predict(model, x), Tolerance);
    }

    [Test]
    public void Predict_ClassNames_LabelEachPrediction_AndAWrongCountIsRefusedNamingBoth()
    {
        torch.manual_seed(4);
        using var model = new TextClassifier();
        using var tokens = torch.randint(0, 100, [6, 12], ScalarType.Int64);

        var predictions = model.Predict(tokens, new InferenceOptions { ClassNames = ["world", "sports", "business", "science"] });

        predictions.Select(p => p.Label).Should().Equal(predictions.Select(p => new[] { "world", "sports", "business", "science" }[p.Class]));
        model.Invoking(m => m.Predict(tokens, new InferenceOptions { ClassNames = ["a", "b", "c"] })).Should().Throw<ArgumentException>()
            .WithMessage("Expected 4 class names, one per output of the model; InferenceOptions.ClassNames has 3.*");
        FluentActions.Invoking(() => new InferenceOptions { ClassNames = ["a", null!] }).Should().Throw<ArgumentException>()
            .WithMessage("Expected a name for every class; found a null name.*");
    }

    [Test]
    public void Predict_FloatInput_ConvertedToTheModelsDtype()
    {
        torch.manual_seed(4);
        using var model = new LeNet();
        using var x = torch.rand(3, 1, 28, 28);
        using var doubles = x.to_type(ScalarType.Float64);

        LibTorchReference.ShouldBeIdentical(model.Predict(doubles), model.Predict(x));
    }

    [TestCase(float.NaN)]
    [TestCase(float.NegativeInfinity)]
    public void Predict_NonFiniteFloatInput_ThrowsCountingIt(float bad)
    {
        using var model = new LeNet();
        using var x = torch.rand(2, 1, 28, 28);
        using (no_grad())
        {
            x[1, 0, 3, 4] = bad;
        }

        model.Invoking(m => m.Predict(x)).Should().Throw<ArgumentException>()
            .WithMessage("Expected finite input values; found 1 NaN or infinite value(s) in the input.*");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void Predict_CnnOnADevice_TakesCpuInput_AndEqualsTheCpuPrediction(string deviceName)
    {
        torch.manual_seed(4);
        using var model = new LeNet();
        using var x = torch.rand(16, 1, 28, 28);
        var onCpu = LibTorchReference.Predict(model, x);

        model.to(TestDevices.Get(deviceName));

        // GPU convolutions sum in another order (and may use TF32): 1e-4 on probabilities.
        LibTorchReference.ShouldMatch(model.Predict(x), onCpu, 1e-4f);
    }

    [Test]
    public void PredictOne_AddsTheBatchDimension()
    {
        torch.manual_seed(4);
        using var model = new LeNet();
        using var batch = torch.rand(1, 1, 28, 28);
        using var image = batch[0];

        LibTorchReference.ShouldBeIdentical([model.PredictOne(image)], model.Predict(batch));
    }

    [Test]
    public void Predict_EmptyBatchOrScalar_EmptyOrRefused()
    {
        using var model = new LeNet();
        using var empty = torch.zeros(0, 1, 28, 28);
        using var scalar = torch.tensor(1f);

        model.Predict(empty).Should().BeEmpty();
        model.Invoking(m => m.Predict(scalar)).Should().Throw<ArgumentException>().WithMessage("Expected a batch of samples [N, ...]; found a scalar tensor (shape []).*");
        model.Invoking(m => m.Predict(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => ((nn.Module<Tensor, Tensor>)null!).Predict(empty)).Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void Predict_PlainSequentialMlp_RunsThePackedPath_AndEqualsLibTorch()
    {
        using var model = TestChains.Build([784, 256, 128, 10]);
        using var x = torch.rand(5, 1, 28, 28);

        model.ChoosePath(5).Should().Be(InferencePath.Packed);
        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x), 1e-5f);
    }

    [Test]
    public void Predict_Cnn_ThousandCalls_LeaveNoLiveTensors_ErrorsIncluded()
    {
        using var model = new LeNet();
        using var x = torch.rand(4, 1, 28, 28);
        using var wrong = torch.rand(4, 1, 20, 20);
        using var threeChannels = torch.rand(4, 3, 28, 28);
        var calls = 0;

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            model.Predict(x);
            if (calls++ % 50 == 0)
            {
                model.Invoking(m => m.Predict(wrong)).Should().Throw<ArgumentException>();
                model.Invoking(m => m.Predict(threeChannels)).Should().Throw<ArgumentException>();
            }
        }, repetitions: 300);

        added.Should().Be(0, "every tensor made on the way is disposed, not left to the finalizer");
    }

    [Test]
    public void Predict_TokenClassifier_LeavesNoLiveTensors()
    {
        using var model = new TextClassifier();
        using var tokens = torch.randint(0, 100, [4, 12], ScalarType.Int64);

        LeakCheck.LiveTensorsAddedBy(() => model.Predict(tokens), repetitions: 100).Should().Be(0);
    }

    private static bool Same(Tensor a, Tensor b)
    {
        using var equal = a.eq(b);
        using var all = equal.all();
        return all.item<bool>();
    }
}
