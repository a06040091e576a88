using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Serving;

/// <summary>The predictor on models other than the document's: a CNN on both engines, an Embedding + GRU text model
/// on int64 token ids, and the construction-time checks of input shape, class names and engine.</summary>
public sealed class PredictorAnyModelTests
{
    private static readonly long[] ImageShape = [1, 28, 28];
    private static readonly long[] TokenShape = [12];

    private static Predictor NewLeNet(PredictionEngine engine = PredictionEngine.LibTorch, int seed = 3, PredictorOptions? options = null)
    {
        torch.manual_seed(seed);
        options ??= new PredictorOptions();
        options.Device ??= "cpu";
        options.InputShape ??= ImageShape;
        options.Engine = engine;
        return new Predictor(new LeNet(), options);
    }

    private static Predictor NewTextModel(int seed = 4, PredictorOptions? options = null)
    {
        torch.manual_seed(seed);
        options ??= new PredictorOptions();
        options.Device ??= "cpu";
        options.InputShape = TokenShape;
        options.InputElementType = InputElementType.Int64;
        return new Predictor(new TextClassifier(), options);
    }

    private static long[][] Sequences(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 12).Select(_ => (long)random.Next(100)).ToArray()).ToArray();
    }

    [TestCase(PredictionEngine.LibTorch)]
    [TestCase(PredictionEngine.OnnxRuntime)]
    public async Task PredictBatchAsync_ACnn_EqualsTheModelsOwnPrediction(PredictionEngine engine)
    {
        var images = RandomPixels.Images(20, seed: 12);
        torch.manual_seed(3);
        using var reference = new LeNet();
        using var batch = torch.tensor(images.SelectMany(i => i).ToArray(), [20, 1, 28, 28]);
        var expected = reference.Predict(batch);
        using var predictor = NewLeNet(engine);

        var batched = await predictor.PredictBatchAsync(images);
        var single = await predictor.PredictAsync(images[7]);

        predictor.ClassCount.Should().Be(10);
        predictor.InputShape.Should().Equal(1, 28, 28);
        predictor.InputLength.Should().Be(784);
        predictor.Variant.Should().BeNull("LeNet is not the document's model");
        predictor.Engine.Should().Be(engine);
        batched.Select(p => p.Class).Should().Equal(expected.Select(p => p.Class));
        // libtorch's conv and ONNX Runtime's sum in other orders: float32 rounding, far below 1e-5 on probabilities.
        OracleArrays(batched).Zip(OracleArrays(expected)).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
        single.Class.Should().Be(expected[7].Class);
        single.Probabilities.Zip(expected[7].Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
    }

    [Test]
    public async Task PredictAsync_Tokens_EqualsTheTextModelsOwnPrediction_AndBatchesAcrossCallers()
    {
        var sequences = Sequences(30, seed: 5);
        torch.manual_seed(4);
        using var reference = new TextClassifier();
        using var batch = torch.tensor(sequences.SelectMany(s => s).ToArray(), [30, 12]);
        var expected = reference.Predict(batch);
        using var predictor = NewTextModel(options: new PredictorOptions { MaxBatchWait = TimeSpan.FromMilliseconds(5), ClassNames = ["a", "b", "c", "d"] });

        var answers = await Task.WhenAll(sequences.Select(s => predictor.PredictAsync(s)));
        var together = await predictor.PredictBatchAsync(sequences);

        predictor.ClassCount.Should().Be(4);
        predictor.InputElementType.Should().Be(InputElementType.Int64);
        answers.Select(a => a.Class).Should().Equal(expected.Select(p => p.Class));
        together.Select(a => a.Class).Should().Equal(expected.Select(p => p.Class));
        answers.Select(a => a.Label).Should().Equal(expected.Select(p => "abcd"[p.Class].ToString()));
        // The GRU over batches of other sizes: float32 rounding only.
        OracleArrays(answers).Zip(OracleArrays(expected)).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
        (await predictor.PredictBatchAsync(Array.Empty<long[]>())).Should().BeEmpty();
    }

    [Test]
    public async Task PredictAsync_WrongLengthOrElementType_IsRefusedOnTheCallersThreadNamingBothCounts()
    {
        using var cnn = NewLeNet();
        using var text = NewTextModel();

        await FluentActions.Awaiting(() => cnn.PredictAsync(new float[783])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has 783 values; expected 784 (one sample of shape [1, 28, 28], flattened).*");
        await FluentActions.Awaiting(() => text.PredictBatchAsync([new long[12], new long[11]])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("Sequence 1 has 11 values; expected 12 (one sample of shape [12], flattened).*");
        await FluentActions.Awaiting(() => text.PredictAsync(new float[12])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("This predictor's model takes int64 token ids (InputElementType Int64); pass them as long[]*");
        await FluentActions.Awaiting(() => cnn.PredictAsync(new long[784])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("This predictor's model takes float32 values (InputElementType Float32); pass them as float[]*");
        await FluentActions.Awaiting(() => text.PredictAsync((long[])null!)).Should().ThrowAsync<ArgumentNullException>();
        var infinite = new float[784];
        infinite[9] = float.PositiveInfinity;
        await FluentActions.Awaiting(() => cnn.PredictAsync(infinite)).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has a non-finite value (Infinity) at index 9; expected finite values.*");
    }

    [Test]
    public async Task PredictAsync_ATokenOutsideTheVocabulary_FailsThatRequestAlone()
    {
        using var predictor = NewTextModel(options: new PredictorOptions { MaxBatchWait = TimeSpan.FromMilliseconds(200) });
        var good = Sequences(3, seed: 6);
        var bad = (long[])good[0].Clone();
        bad[4] = 100;

        var calls = new[] { predictor.PredictAsync(good[0]), predictor.PredictAsync(bad), predictor.PredictAsync(good[1]), predictor.PredictAsync(good[2]) };
        var failure = await FluentActions.Awaiting(() => calls[1]).Should().ThrowAsync<ArgumentException>();

        failure.WithMessage("Expected samples of token ids (int64 or int32) in [0, 100) *; found ids from * to 100 in input [1, 12]. The forward failed with: *index out of range*");
        foreach (var call in calls.Where((_, i) => i != 1))
        {
            (await call).Probabilities.Should().HaveCount(4);
        }
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public async Task PredictBatchAsync_ACnnAndATextModelOnADevice_EqualTheCpuPrediction(string deviceName)
    {
        var images = RandomPixels.Images(16, seed: 15);
        var sequences = Sequences(16, seed: 16);
        torch.manual_seed(3);
        using var cnn = new LeNet();
        torch.manual_seed(4);
        using var text = new TextClassifier();
        using var imageBatch = torch.tensor(images.SelectMany(i => i).ToArray(), [16, 1, 28, 28]);
        using var tokenBatch = torch.tensor(sequences.SelectMany(t => t).ToArray(), [16, 12]);
        var cnnOnCpu = LibTorchReference.Predict(cnn, imageBatch);
        var textOnCpu = LibTorchReference.Predict(text, tokenBatch);
        using var cnnPredictor = NewLeNet(options: new PredictorOptions { Device = deviceName });
        using var textPredictor = NewTextModel(options: new PredictorOptions { Device = deviceName });

        var cnnAnswers = await cnnPredictor.PredictBatchAsync(images);
        var textAnswers = await textPredictor.PredictBatchAsync(sequences);

        cnnPredictor.Device.type.Should().Be(TestDevices.Get(deviceName).type);
        // GPU kernels sum in another order (and may use TF32): 1e-4 on probabilities.
        LibTorchReference.ShouldMatch(cnnAnswers, cnnOnCpu, 1e-4f);
        LibTorchReference.ShouldMatch(textAnswers, textOnCpu, 1e-4f);
    }

    [Test]
    public void Constructor_NoInputShapeForAModelOfItsOwn_NamesTheSetting()
    {
        using var model = new LeNet();

        var act = () => new Predictor(model, new PredictorOptions { Device = "cpu" });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid predictor options: InputShape is required for a model other than NeuralNetwork (one sample's shape, e.g. [1, 28, 28]); the model is LeNet.*");
    }

    [Test]
    public void Constructor_AnInputShapeTheModelDoesNotTake_NamesTheShapeAndLibTorchsReason()
    {
        using var model = new LeNet();

        var act = () => new Predictor(model, new PredictorOptions { Device = "cpu", InputShape = [3, 28, 28] });

        var message = act.Should().Throw<ArgumentException>().Which.Message;
        message.Should().StartWith("Invalid predictor options: the model does not take InputShape [3, 28, 28] (Float32; a batch of one is [1, 3, 28, 28]): ")
            .And.Contain("with 1 channels to Conv2d").And.NotContain("Exception raised from");
    }

    [Test]
    public void Constructor_ClassNamesNotOnePerClass_NamesBothCounts()
    {
        using var model = new TextClassifier();

        var act = () => new Predictor(model, new PredictorOptions
        {
            Device = "cpu", InputShape = TokenShape, InputElementType = InputElementType.Int64, ClassNames = ["a", "b", "c"],
        });

        act.Should().Throw<ArgumentException>().WithMessage("Invalid predictor options: ClassNames holds 3 names; the model has 4 classes.*");
    }

    [Test]
    public void Constructor_OnnxRuntimeForAResidualNet_NamesTheModuleAndTheWayOut()
    {
        using var model = new ResidualNet();

        var act = () => new Predictor(model, new PredictorOptions { Device = "cpu", InputShape = ImageShape, Engine = PredictionEngine.OnnxRuntime });

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Engine OnnxRuntime runs models that OnnxExport can write, and this one cannot be exported: *block*Use Engine LibTorch (the default), which runs any model.");
    }

    [Test]
    public void Constructor_OnnxRuntimeWithTokenIds_IsRefused()
    {
        using var model = new TextClassifier();

        var act = () => new Predictor(model, new PredictorOptions
        {
            InputShape = TokenShape, InputElementType = InputElementType.Int64, Engine = PredictionEngine.OnnxRuntime,
        });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid predictor options: InputElementType Int64 needs Engine LibTorch (the default): exported ONNX graphs take float32 input.*");
    }

    [Test]
    public void Constructor_BFloat16ForACnn_IsRefusedNamingTheSetting()
    {
        if (!NeuralNet.Torch.Inference.CpuFeatures.HasAvx512BFloat16)
        {
            Assert.Ignore("This CPU has no AVX512_BF16: Validate refuses BFloat16 before the model is looked at.");
        }
        using var model = new LeNet();

        var act = () => new Predictor(model, new PredictorOptions { Device = "cpu", InputShape = ImageShape, Precision = NeuralNet.Torch.Inference.InferencePrecision.BFloat16 });

        act.Should().Throw<ArgumentException>().WithMessage("Invalid predictor options: Precision BFloat16 runs MLP chains only*");
    }

    [Test]
    public void ModelText_AndParameterCount_DescribeAnyModel()
    {
        using var predictor = NewLeNet();
        using var model = new LeNet();

        predictor.ModelText.Should().Be(NeuralNet.Torch.Inspection.PyTorchText.ToPyTorchString(model));
        predictor.ModelText.Should().StartWith("LeNet(\n  (features): Sequential(\n    (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))");
        predictor.ParameterCount.Should().Be(model.parameters().Sum(p => p.numel()));
    }

    [TestCase(PredictionEngine.LibTorch)]
    [TestCase(PredictionEngine.OnnxRuntime)]
    public void PredictBatchAsync_ACnnThousandsOfTimes_LeavesNoLiveTensors(PredictionEngine engine)
    {
        using var predictor = NewLeNet(engine);
        var images = RandomPixels.Images(100, seed: 13);

        var added = LeakCheck.LiveTensorsAddedBy(() => predictor.PredictBatchAsync(images).GetAwaiter().GetResult(), repetitions: 20);

        added.Should().Be(0);
    }

    [Test]
    public void PredictAsync_TokensThousandsOfTimes_LeavesNoLiveTensors()
    {
        using var predictor = NewTextModel();
        var sequences = Sequences(100, seed: 14);

        var added = LeakCheck.LiveTensorsAddedBy(() => predictor.PredictBatchAsync(sequences).GetAwaiter().GetResult(), repetitions: 20);

        added.Should().Be(0);
    }

    [Test]
    public void Constructor_AndDispose_LeaveNoLiveTensors()
    {
        // Making a LeNet itself leaves tensors counted live (TorchSharp's initialisation): compare with that.
        var byTheModel = LeakCheck.LiveTensorsAddedBy(() => new LeNet().Dispose(), repetitions: 5);

        var withAPredictor = LeakCheck.LiveTensorsAddedBy(() =>
        {
            using var model = new LeNet();
            new Predictor(model, new PredictorOptions { Device = "cpu", InputShape = ImageShape }).Dispose();
        }, repetitions: 5);

        TestContext.Out.WriteLine($"5 LeNets made and disposed leave {byTheModel} tensors counted live");
        withAPredictor.Should().Be(byTheModel, "the probe's input and output and the model's parameters are all disposed");
    }

    private static IEnumerable<float> OracleArrays(IEnumerable<ClassPrediction> predictions) => predictions.SelectMany(p => p.Probabilities);
}
