using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Prediction;

public sealed class PredictionExtensionsTests
{
    private NeuralNetwork _model = null!;

    [SetUp]
    public void CreateModel()
    {
        torch.manual_seed(3);
        _model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
    }

    [TearDown]
    public void DisposeModel() => _model.Dispose();

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void Predict_TheDocumentsInput_EqualsSoftmaxArgmaxOfTheLogits(string deviceName)
    {
        var device = TestDevices.Get(deviceName);
        _model.to(device);
        using var x = torch.rand(4, 28, 28, device: device);
        using var logits = _model.forward(x);
        using var expected = nn.functional.softmax(logits, 1);
        using var expectedClasses = expected.argmax(1);

        var predictions = _model.Predict(x);

        predictions.Should().HaveCount(4);
        var p = expected.cpu().data<float>().ToArray();
        var c = expectedClasses.cpu().data<long>().ToArray();
        for (var i = 0; i < 4; i++)
        {
            predictions[i].Class.Should().Be((int)c[i]);
            predictions[i].Probabilities.Should().HaveCount(10);
            for (var k = 0; k < 10; k++)
            {
                predictions[i].Probabilities[k].Should().BeApproximately(p[i * 10 + k], 1e-7f);
            }
            predictions[i].Probabilities.Sum().Should().BeApproximately(1f, 1e-5f);
            predictions[i].Confidence.Should().Be(predictions[i].Probabilities.Max());
        }
    }

    [Test]
    public void Predict_ShapesWith784ValuesPerSample_AgreeWithEachOther()
    {
        using var x = torch.rand(2, 28, 28);
        using var x4 = x.reshape(2, 1, 28, 28);
        using var flat = x.reshape(2, 784);

        var a = _model.Predict(x);
        var b = _model.Predict(x4);
        var c = _model.Predict(flat);

        b.Select(p => p.Class).Should().Equal(a.Select(p => p.Class));
        c.Select(p => p.Class).Should().Equal(a.Select(p => p.Class));
        b[1].Probabilities.Should().Equal(a[1].Probabilities);
        c[1].Probabilities.Should().Equal(a[1].Probabilities);
    }

    [Test]
    public void PredictOne_EqualsTheBatchPrediction_ForEveryOneImageShape()
    {
        using var batch = torch.rand(1, 28, 28);
        var expected = _model.Predict(batch)[0];

        foreach (var shape in new long[][] { [28, 28], [1, 28, 28], [1, 1, 28, 28], [784], [1, 784] })
        {
            using var image = batch.reshape(shape);
            var actual = _model.PredictOne(image);
            actual.Class.Should().Be(expected.Class);
            actual.Probabilities.Should().Equal(expected.Probabilities);
        }
    }

    [TestCase(new long[] { 3, 28, 27 }, "[3, 28, 27]")]
    [TestCase(new long[] { 3, 784, 1, 2 }, "[3, 784, 1, 2]")]
    [TestCase(new long[] { 784 }, "[784]")]
    [TestCase(new long[] { 2, 10 }, "[2, 10]")]
    public void Predict_WrongPerSampleSize_ThrowsNamingExpectedAndActualShape(long[] shape, string text)
    {
        using var x = torch.rand(shape);

        var act = () => _model.Predict(x);

        act.Should().Throw<ArgumentException>()
            .WithMessage($"Expected images of shape [N, 28, 28], [N, 1, 28, 28] or [N, 784] (784 values per sample); found {text}.*")
            .Which.ParamName.Should().Be("images");
    }

    [TestCase(new long[] { 2, 28, 28 }, "[2, 28, 28]")]
    [TestCase(new long[] { 28, 27 }, "[28, 27]")]
    [TestCase(new long[] { 1, 2, 392 }, "[1, 2, 392]")]
    public void PredictOne_NotOneImage_ThrowsNamingTheShape(long[] shape, string text)
    {
        using var x = torch.rand(shape);

        var act = () => _model.PredictOne(x);

        act.Should().Throw<ArgumentException>().WithMessage($"Expected one image of shape*; found {text}.*");
    }

    [Test]
    public void PredictAndPredictOne_TheDocumentsModelThroughAModuleVariable_FollowTheSameRules()
    {
        nn.Module<Tensor, Tensor> asModule = _model;
        using var image = torch.rand(28, 28);
        using var notOneImage = torch.rand(1, 2, 392);
        using var bytes = torch.zeros(new long[] { 2, 28, 28 }, ScalarType.Byte);
        var options = new InferenceOptions { PackedMaxBatchSize = 0 };

        var expected = _model.PredictOne(image);
        foreach (var actual in new[] { asModule.PredictOne(image), asModule.PredictOne(image, options), _model.PredictOne(image, options) })
        {
            actual.Class.Should().Be(expected.Class);
            actual.Probabilities.Should().HaveCount(10).And.Subject.Zip(expected.Probabilities, (a, e) => Math.Abs(a - e)).Max().Should().BeLessThan(1e-5f);
        }
        asModule.Invoking(m => m.PredictOne(notOneImage)).Should().Throw<ArgumentException>()
            .WithMessage("Expected one image of shape*; found [1, 2, 392].*").Which.ParamName.Should().Be("sample");
        _model.Invoking(m => m.PredictOne(notOneImage, options)).Should().Throw<ArgumentException>()
            .WithMessage("Expected one image of shape*; found [1, 2, 392].*");
        asModule.Invoking(m => m.Predict(bytes)).Should().Throw<ArgumentException>()
            .WithMessage("Expected a floating-point tensor (float32 pixels in [0, 1]); found dtype Byte.*").Which.ParamName.Should().Be("input");
    }

    [TestCase(ScalarType.Byte)]
    [TestCase(ScalarType.Int64)]
    [TestCase(ScalarType.Bool)]
    public void Predict_NonFloatInput_ThrowsNamingTheDtype(ScalarType dtype)
    {
        using var x = torch.zeros(new long[] { 1, 28, 28 }, dtype);

        var act = () => _model.Predict(x);

        act.Should().Throw<ArgumentException>().WithMessage($"Expected a floating-point tensor (float32 pixels in [0, 1]); found dtype {dtype}.*");
    }

    [TestCase(ScalarType.Float64)]
    [TestCase(ScalarType.Float16)]
    [TestCase(ScalarType.BFloat16)]
    public void Predict_OtherFloatDtypes_AreConvertedToTheModelsDtype(ScalarType dtype)
    {
        using var x = torch.rand(2, 28, 28);
        using var converted = x.to_type(dtype);
        using var roundTripped = converted.to_type(ScalarType.Float32);
        var expected = _model.Predict(roundTripped);

        var actual = _model.Predict(converted);

        actual.Select(p => p.Class).Should().Equal(expected.Select(p => p.Class));
        actual[0].Probabilities.Should().Equal(expected[0].Probabilities);
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void Predict_OnADevice_EqualsTheCpuPrediction_WithinFloatTolerance(string deviceName)
    {
        using var x = torch.rand(16, 28, 28);
        var onCpu = _model.Predict(x);

        _model.to(TestDevices.Get(deviceName));
        var onDevice = _model.Predict(x); // the CPU input is copied to the model's device

        onDevice.Select(p => p.Class).Should().Equal(onCpu.Select(p => p.Class));
        for (var i = 0; i < onCpu.Count; i++)
        {
            // GPU GEMMs sum in another order (and may use TF32): 1e-4 on probabilities is far above float32
            // rounding over 784-term dot products and far below any real difference.
            onDevice[i].Probabilities.Zip(onCpu[i].Probabilities).Should().OnlyContain(pair => Math.Abs(pair.First - pair.Second) < 1e-4f);
        }
    }

    [Test]
    public void Predict_EmptyBatch_ReturnsNoPredictions()
    {
        using var x = torch.zeros(0, 28, 28);

        _model.Predict(x).Should().BeEmpty();
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    [TestCase(float.NegativeInfinity)]
    public void Predict_NonFiniteValues_ThrowsCountingThem(float bad)
    {
        using var x = torch.rand(2, 28, 28);
        x[1, 3, 4] = torch.tensor(bad);
        x[0, 0, 0] = torch.tensor(bad);

        var act = () => _model.Predict(x);

        act.Should().Throw<ArgumentException>().WithMessage("Expected finite pixel values; found 2 NaN or infinite value(s) in the input.*");
    }

    [Test]
    public void Predict_NullArguments_Throw()
    {
        using var x = torch.rand(1, 28, 28);

        FluentActions.Invoking(() => _model.Predict(null!)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => ((NeuralNetwork)null!).Predict(x)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => _model.PredictOne(null!)).Should().Throw<ArgumentNullException>();
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Predict_LeavesTrainEvalModeAsItFoundIt_AndRecordsNoGradients(bool training)
    {
        _model.train(training);
        using var x = torch.rand(1, 28, 28);

        _model.Predict(x);
        FluentActions.Invoking(() => _model.Predict(torch.zeros(1, 28, 27))).Should().Throw<ArgumentException>();

        _model.training.Should().Be(training);
        _model.parameters().Count(p => p.grad is not null).Should().Be(0);
    }

    [Test]
    public void Predict_InputTensor_IsNeitherChangedNorDisposed()
    {
        using var x = torch.rand(2, 28, 28, dtype: ScalarType.Float64);
        using var before = x.clone();

        _model.Predict(x);

        x.IsInvalid.Should().BeFalse();
        x.dtype.Should().Be(ScalarType.Float64);
        x.allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Test]
    public void Predict_ThousandCalls_LeaveNoLiveTensors()
    {
        using var x = torch.rand(8, 28, 28);
        using var wrong = torch.rand(8, 28, 27);
        var calls = 0;

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            _model.Predict(x);
            if (calls++ % 100 == 0)
            {
                FluentActions.Invoking(() => _model.Predict(wrong)).Should().Throw<ArgumentException>();
            }
        }, repetitions: 1000);

        added.Should().Be(0, "every tensor made on the way is disposed, not left to the finalizer");
    }
}
