using System.Runtime;
using Microsoft.ML.OnnxRuntime;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>The predictor on its ONNX Runtime engine: the libtorch engine's results within 1e-5, the same validation
/// and batching, its native resources released.</summary>
public sealed class OnnxRuntimePredictorTests
{
    private const int Distinct = 100;
    private float[][] _images = [];

    [SetUp]
    public void MakeImages() => _images = RandomPixels.Images(Distinct, seed: 12);

    private static Predictor NewPredictor(PredictionEngine engine, PredictorOptions? options = null)
    {
        torch.manual_seed(6);
        options ??= new PredictorOptions();
        options.Engine = engine;
        options.Device = "cpu";
        return new Predictor(new NeuralNetwork(NeuralNetworkVariant.Quickstart), options);
    }

    [Test]
    public async Task PredictBatchAsync_OnnxRuntimeEngine_EqualsTheLibTorchEngineWithin1e5()
    {
        using var libtorch = NewPredictor(PredictionEngine.LibTorch);
        using var onnx = NewPredictor(PredictionEngine.OnnxRuntime);

        var expected = await libtorch.PredictBatchAsync(_images);
        var actual = await onnx.PredictBatchAsync(_images);

        onnx.Engine.Should().Be(PredictionEngine.OnnxRuntime);
        onnx.Device.type.Should().Be(DeviceType.CPU);
        onnx.Variant.Should().Be(NeuralNetworkVariant.Quickstart);
        onnx.ParameterCount.Should().Be(libtorch.ParameterCount);
        onnx.ModelText.Should().Be(libtorch.ModelText);
        actual.Select(p => p.Class).Should().Equal(expected.Select(p => p.Class));
        var worst = actual.Zip(expected).SelectMany(p => p.First.Probabilities.Zip(p.Second.Probabilities, (a, b) => Math.Abs(a - b))).Max();
        TestContext.Out.WriteLine($"largest probability difference between the engines: {worst:G3}");
        worst.Should().BeLessThanOrEqualTo(1e-5f);
        actual.Should().OnlyContain(p => Math.Abs(p.Probabilities.Sum() - 1) < 1e-5);
    }

    [Test]
    public async Task PredictAsync_OnnxRuntimeEngineOneAtATime_EqualsTheLibTorchEngineWithin1e5()
    {
        using var libtorch = NewPredictor(PredictionEngine.LibTorch);
        using var onnx = NewPredictor(PredictionEngine.OnnxRuntime, new PredictorOptions { ClassNames = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] });

        for (var i = 0; i < 20; i++)
        {
            var expected = await libtorch.PredictAsync(_images[i]);
            var actual = await onnx.PredictAsync(_images[i]);
            actual.Class.Should().Be(expected.Class);
            actual.Label.Should().Be(expected.Class.ToString(System.Globalization.CultureInfo.InvariantCulture));
            actual.Probabilities.Zip(expected.Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
        }
    }

    [Test]
    public void Predict_OnnxRuntimeEngineEightThreadsTimesAThousand_EqualTheSequentialResults()
    {
        using var predictor = NewPredictor(PredictionEngine.OnnxRuntime, new PredictorOptions { MaxBatchSize = 32 });

        PredictorConcurrency.ShouldEqualTheSequentialResults(predictor, _images);
    }

    [Test]
    public async Task PredictAsync_OnnxRuntimeEngineBadInput_IsRefusedAsByTheLibTorchEngine()
    {
        using var predictor = NewPredictor(PredictionEngine.OnnxRuntime);
        var notANumber = (float[])_images[0].Clone();
        notANumber[5] = float.NaN;

        await FluentActions.Awaiting(() => predictor.PredictAsync(new float[783])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has 783 values; expected 784 (28 x 28 pixels, row by row).*");
        await FluentActions.Awaiting(() => predictor.PredictAsync(notANumber)).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has a non-finite value (NaN) at pixel 5; expected finite values in [0, 1].*");
        await FluentActions.Awaiting(() => predictor.PredictBatchAsync([_images[0], null!])).Should().ThrowAsync<ArgumentNullException>()
            .WithMessage("Image 1 is null.*");

        (await predictor.PredictAsync(_images[1])).Probabilities.Should().HaveCount(10);
        (await predictor.PredictBatchAsync(Array.Empty<float[]>())).Should().BeEmpty();
    }

    [Test]
    public void PredictBatchAsync_OnnxRuntimeEngineTenThousandPredictions_LeaveNoLiveTensors()
    {
        using var predictor = NewPredictor(PredictionEngine.OnnxRuntime);
        var thousand = Enumerable.Range(0, 1000).Select(i => _images[i % Distinct]).ToArray();

        var added = LeakCheck.LiveTensorsAddedBy(() => predictor.PredictBatchAsync(thousand).GetAwaiter().GetResult(), repetitions: 10);

        added.Should().Be(0);
    }

    [Test]
    public void Predict_OnnxRuntimeEngineTenThousandRuns_GiveBackTheirNativeMemory()
    {
        if (!NativeHeap.IsAvailable)
        {
            Assert.Ignore("Measuring the native heap needs glibc's mallinfo2 (Linux, glibc 2.33+).");
        }
        torch.manual_seed(7);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var engine = OnnxRuntimeEngine.Create(model, [784]);
        var pixels = _images[0];
        for (var i = 0; i < 1000; i++)
        {
            engine.Predict(pixels, 1);
        }

        // 10,000 session runs: the engine itself, as the predictor's worker calls it, without the thread pool's and
        // monitors' own native allocations. No GC runs where the runtime grants the region, so a value left to its
        // finalizer still holds its memory. Measured here: leaving the input OrtValue undisposed adds about 3.2 MB
        // (320 bytes a run), leaving the outputs undisposed about 6.4 MB; without a leak the heap grows by 0.3 to
        // 0.7 MB (the finalization queue's bookkeeping, which the next GC clears, and ONNX Runtime's arena and thread
        // pool growing in steps). So the line is drawn at 150 bytes a run. Another thread of the test process (a
        // finalizer, a runtime thread) can allocate during the window too (seen once: 1.75 MB), so the best of up to
        // three windows counts: a real leak grows the heap in every one of them.
        var growths = new List<long>();
        var allInRegion = true;
        for (var attempt = 0; attempt < 3 && (growths.Count == 0 || growths.Min() >= 1_500_000); attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var noGc = GC.TryStartNoGCRegion(100L * 1024 * 1024);
            allInRegion &= noGc;
            try
            {
                var before = NativeHeap.BytesInUse;
                for (var i = 0; i < 10_000; i++)
                {
                    engine.Predict(pixels, 1);
                }
                growths.Add(NativeHeap.BytesInUse - before);
            }
            finally
            {
                if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                {
                    GC.EndNoGCRegion();
                }
            }
        }

        TestContext.Out.WriteLine($"native heap growth over 10,000 runs: {string.Join(", ", growths.Select(g => g.ToString("N0")))} bytes");
        allInRegion.Should().BeTrue("without the region a GC would run finalizers and hide an undisposed value");
        growths.Min().Should().BeLessThan(1_500_000, "less than 150 bytes a run");
    }

    [Test]
    public void Predict_OnnxRuntimeEngineNoImages_ReturnsNone()
    {
        torch.manual_seed(8);
        using var model = new NeuralNetwork();
        using var engine = OnnxRuntimeEngine.Create(model, [784]);

        engine.Predict(Array.Empty<float>(), 0).Should().BeEmpty();
    }

    [Test]
    public void Dispose_OnnxRuntimeEngine_DisposesTheSessionAndItsOptions()
    {
        var predictor = NewPredictor(PredictionEngine.OnnxRuntime);
        predictor.Predict(_images[0]);
        var engine = (OnnxRuntimeEngine)predictor.EngineInstance;
        engine.SessionOptions.IsClosed.Should().BeFalse();

        predictor.Dispose();

        engine.IsDisposed.Should().BeTrue();
        engine.SessionOptions.IsClosed.Should().BeTrue("SessionOptions is a SafeHandle, closed on dispose");
        engine.RunOptions.IsClosed.Should().BeTrue("RunOptions is a SafeHandle, closed on dispose");
        // InferenceSession is not a SafeHandle; ONNX Runtime 1.31 records its disposal in a private field.
        typeof(InferenceSession).GetField("_disposed", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
            .GetValue(engine.Session).Should().Be(true);
        FluentActions.Invoking(() => predictor.Predict(_images[0])).Should().Throw<ObjectDisposedException>();
    }

    [Test]
    public void Constructor_OnnxRuntimeWithCudaDevice_IsRefusedNamingTheEngineForCuda()
    {
        using var model = new NeuralNetwork();

        var act = () => new Predictor(model, new PredictorOptions { Engine = PredictionEngine.OnnxRuntime, Device = "cuda:0" });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid predictor options: Engine OnnxRuntime runs on the CPU only; Device 'cuda:0' needs Engine LibTorch (the default).*");
    }

    [Test]
    public void Constructor_OnnxRuntimeWithCudaFromTheEnvironment_IsRefusedNamingTheVariable()
    {
        using var model = new NeuralNetwork();
        var previous = Environment.GetEnvironmentVariable(Devices.EnvironmentVariable);
        Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, "cuda");
        try
        {
            var act = () => new Predictor(model, new PredictorOptions { Engine = PredictionEngine.OnnxRuntime });

            act.Should().Throw<InvalidOperationException>().WithMessage(
                "The OnnxRuntime engine runs on the CPU only, but device 'cuda' was requested (the environment variable NEURALNET_DEVICE). " +
                "Use Engine LibTorch (the default) for CUDA, or ask for 'cpu' or 'auto'.");
        }
        finally
        {
            Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, previous);
        }
    }

    [Test]
    public void Validate_UndefinedEngine_IsAProblem()
    {
        var options = new PredictorOptions { Engine = (PredictionEngine)7 };

        options.Validate().Should().Equal("Engine must be LibTorch or OnnxRuntime; found 7.");
    }
}
