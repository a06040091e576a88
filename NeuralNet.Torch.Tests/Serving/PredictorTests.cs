using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Serving;

public sealed class PredictorTests
{
    private const int Distinct = 100;
    private float[][] _images = [];

    [SetUp]
    public void MakeImages() => _images = RandomPixels.Images(Distinct, seed: 11);

    private static Predictor NewPredictor(PredictorOptions? options = null)
    {
        torch.manual_seed(5);
        return new Predictor(new NeuralNetwork(NeuralNetworkVariant.Quickstart), options ?? new PredictorOptions { Device = "cpu" });
    }

    [Test]
    public async Task PredictAsync_EqualsTheModelsOwnPrediction()
    {
        torch.manual_seed(5);
        using var reference = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var batch = torch.tensor(_images.SelectMany(i => i).ToArray(), [Distinct, 784]);
        var expected = reference.Predict(batch);
        using var predictor = NewPredictor();

        for (var i = 0; i < 10; i++)
        {
            var actual = await predictor.PredictAsync(_images[i]);
            actual.Class.Should().Be(expected[i].Class);
            // The reference ran as one batch of 100, the predictor as batches of 1: float32 rounding only.
            actual.Probabilities.Zip(expected[i].Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-6f);
            actual.Label.Should().BeNull();
        }
        predictor.Variant.Should().Be(NeuralNetworkVariant.Quickstart);
        predictor.Device.type.Should().Be(DeviceType.CPU);
    }

    [Test]
    public void Predict_EightThreadsTimesAThousand_EqualTheSequentialResults()
    {
        using var predictor = NewPredictor(new PredictorOptions { Device = "cpu", MaxBatchSize = 32 });

        PredictorConcurrency.ShouldEqualTheSequentialResults(predictor, _images);
    }

    [Test]
    public async Task PredictBatchAsync_ManyAsyncCallers_AreBatchedAndAnsweredInOrder()
    {
        using var predictor = NewPredictor(new PredictorOptions { Device = "cpu", MaxBatchWait = TimeSpan.FromMilliseconds(5) });
        var expected = await predictor.PredictBatchAsync(_images);

        var calls = Enumerable.Range(0, 50).Select(i => predictor.PredictBatchAsync([_images[i], _images[i + 50]])).ToArray();
        var answers = await Task.WhenAll(calls);

        for (var i = 0; i < 50; i++)
        {
            answers[i].Select(a => a.Class).Should().Equal(expected[i].Class, expected[i + 50].Class);
        }
        (await predictor.PredictBatchAsync(Array.Empty<float[]>())).Should().BeEmpty();
    }

    [Test]
    public async Task PredictAsync_WithClassNames_LabelsEachPrediction()
    {
        string[] names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
        using var predictor = NewPredictor(new PredictorOptions { Device = "cpu", ClassNames = names });

        var prediction = await predictor.PredictAsync(_images[0]);

        prediction.Label.Should().Be(names[prediction.Class]);
    }

    [Test]
    public async Task PredictAsync_BadInput_IsRefusedAndThePredictorKeepsServing()
    {
        using var predictor = NewPredictor();
        var nan = (float[])_images[0].Clone();
        nan[300] = float.NaN;

        await FluentActions.Awaiting(() => predictor.PredictAsync(new float[783])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has 783 values; expected 784 (28 x 28 pixels, row by row).*");
        await FluentActions.Awaiting(() => predictor.PredictAsync(nan)).Should().ThrowAsync<ArgumentException>()
            .WithMessage("The image has a non-finite value (NaN) at pixel 300; expected finite values in [0, 1].*");
        await FluentActions.Awaiting(() => predictor.PredictAsync((float[])null!)).Should().ThrowAsync<ArgumentNullException>();
        await FluentActions.Awaiting(() => predictor.PredictBatchAsync([_images[0], new float[10]])).Should().ThrowAsync<ArgumentException>()
            .WithMessage("Image 1 has 10 values; expected 784*");
        await FluentActions.Awaiting(() => predictor.PredictBatchAsync([_images[0], null!])).Should().ThrowAsync<ArgumentNullException>()
            .WithMessage("Image 1 is null.*");

        (await predictor.PredictAsync(_images[1])).Probabilities.Should().HaveCount(10);
    }

    [Test]
    public async Task PredictBatchAsync_MoreImagesThanTheQueueHolds_IsRefusedAtOnceAsBusy()
    {
        using var predictor = NewPredictor(new PredictorOptions { Device = "cpu", QueueCapacity = 50 });

        await FluentActions.Awaiting(() => predictor.PredictBatchAsync(_images)).Should().ThrowAsync<PredictorBusyException>()
            .WithMessage("The predictor's queue is full (50 images wait for a forward pass); try again later.");
        (await predictor.PredictBatchAsync(_images.Take(50).ToArray())).Should().HaveCount(50);
    }

    [Test]
    public async Task PredictAsync_CancelledWhileWaiting_IsCancelled()
    {
        // The first request waits up to 1 s for others to join its batch: cancel it during that wait.
        using var predictor = NewPredictor(new PredictorOptions { Device = "cpu", MaxBatchWait = TimeSpan.FromSeconds(1), MaxBatchSize = 4096 });
        using var cancel = new CancellationTokenSource();

        var waiting = predictor.PredictAsync(_images[0], cancel.Token);
        await Task.Delay(50);
        cancel.Cancel();

        await FluentActions.Awaiting(() => waiting).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => predictor.PredictAsync(_images[0], cancel.Token)).Should().ThrowAsync<OperationCanceledException>();
        (await predictor.PredictAsync(_images[1])).Probabilities.Should().HaveCount(10);
    }

    [Test]
    public async Task Dispose_WhileRequestsWait_FailsThemWithObjectDisposed_AndRefusesNewOnes()
    {
        var predictor = NewPredictor(new PredictorOptions { Device = "cpu", MaxBatchWait = TimeSpan.FromSeconds(1), MaxBatchSize = 4096 });
        var waiting = Enumerable.Range(0, 5).Select(i => predictor.PredictAsync(_images[i])).ToArray();
        await Task.Delay(50);

        predictor.Dispose();

        foreach (var task in waiting)
        {
            await FluentActions.Awaiting(() => task).Should().ThrowAsync<ObjectDisposedException>();
        }
        await FluentActions.Awaiting(() => predictor.PredictAsync(_images[0])).Should().ThrowAsync<ObjectDisposedException>();
        predictor.Invoking(p => p.Dispose()).Should().NotThrow();
    }

    [Test]
    public void Predict_TenThousandPredictions_LeaveNoLiveTensors()
    {
        using var predictor = NewPredictor();
        var thousand = Enumerable.Range(0, 1000).Select(i => _images[i % Distinct]).ToArray();

        var added = LeakCheck.LiveTensorsAddedBy(() => predictor.PredictBatchAsync(thousand).GetAwaiter().GetResult(), repetitions: 10);

        added.Should().Be(0);
    }

    [Test]
    public void Constructor_InvalidOptions_ListsEveryProblem()
    {
        using var model = new NeuralNetwork();
        var options = new PredictorOptions { MaxBatchSize = 0, MaxBatchWait = TimeSpan.FromSeconds(-1), QueueCapacity = 0, ClassNames = ["a"] };

        var act = () => new Predictor(model, options);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid predictor options: MaxBatchSize must be between 1 and 4096; found 0. MaxBatchWait must be between 0 and 1 second; found -00:00:01. " +
            "QueueCapacity must be at least 1; found 0.*");
    }

    [Test]
    public void Constructor_CudaWhereThereIsNone_ThrowsTheDeviceError()
    {
        if (Devices.IsCudaAvailable)
        {
            Assert.Ignore("CUDA is available here; this test checks the error where it is absent.");
        }
        using var model = new NeuralNetwork();

        var act = () => new Predictor(model, new PredictorOptions { Device = "cuda" });

        act.Should().Throw<InvalidOperationException>().WithMessage("Device 'cuda' was requested (argument), but CUDA is not available*");
    }
}
