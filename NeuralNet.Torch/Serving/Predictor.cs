using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>
/// A thread-safe predictor for services: owns one model, and answers requests from many threads and async callers
/// by batching the requests that arrive together into one forward pass (dynamic micro-batching).
/// </summary>
/// <remarks>
/// <para>One dedicated thread owns the model and makes every libtorch call, so no two threads ever use the model at
/// once and dispose scopes (thread-static in TorchSharp) never cross an <c>await</c>. Callers validate and copy their
/// input, queue it, and wait on a task.</para>
/// <para>The worker takes the first waiting request, then lets others join for up to
/// <see cref="PredictorOptions.MaxBatchWait"/> or until <see cref="PredictorOptions.MaxBatchSize"/> images are
/// gathered, runs one forward pass (softmax + argmax, as <see cref="PredictionExtensions.Predict(NeuralNetwork, torch.Tensor)"/>), and completes
/// each request. A batched result equals the one-at-a-time result in class and, within float32 rounding of a GEMM
/// whose summation order may depend on the batch size, in probabilities.</para>
/// <para>Batches of up to <see cref="PredictorOptions.PackedMaxBatchSize"/> images of a CPU model run on the managed
/// <see cref="PackedInference"/> path straight from the queued pixels (no tensor is made), the rest on libtorch, in
/// float32 or, when <see cref="PredictorOptions.Precision"/> opts in, bfloat16.</para>
/// <para>Input: one image is 784 floats (a 28 x 28 image, row by row), pixel values in [0, 1]. Wrong lengths, NaN or
/// infinite values and null are refused with <see cref="ArgumentException"/> on the caller's thread, before
/// anything is queued; the predictor keeps serving.</para>
/// <para>Engines (<see cref="PredictorOptions.Engine"/>): <see cref="PredictionEngine.LibTorch"/> (the default) runs
/// the model in libtorch on the CPU or a CUDA device; <see cref="PredictionEngine.OnnxRuntime"/> exports it to ONNX
/// when the predictor is built and runs it in an ONNX Runtime CPU session (the application references the
/// <c>Microsoft.ML.OnnxRuntime</c> package). Both take the same input, validate it the same way, batch the same way
/// on the one worker thread, and give the same classes with probabilities equal within 1e-5.</para>
/// <para>Disposing stops the worker, fails every waiting request with <see cref="ObjectDisposedException"/>, and
/// disposes the model (and, with ONNX Runtime, the session and its options).</para>
/// </remarks>
public sealed class Predictor : IDisposable
{
    private readonly IPredictionEngine _engine;
    private readonly PredictorOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Request> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _worker;
    private int _queued;
    private int _disposed;

    /// <summary>Creates a predictor that owns <paramref name="model"/>. With the libtorch engine the model is moved to
    /// the configured device, frozen (<see cref="PackedInference.Freeze"/>: the predictor computes with a copy of its weights taken here, on the packed fast path's layouts), and disposed with the predictor; with ONNX Runtime it is exported
    /// to ONNX in memory and disposed once the session is open.</summary>
    /// <param name="model">The model; the predictor takes ownership once this constructor returns.</param>
    /// <param name="options">Settings; null for the defaults. <see cref="PredictorOptions.WeightsPath"/> and
    /// <see cref="PredictorOptions.Variant"/> are not used here: the model is given.</param>
    /// <param name="logger">Where failures of a forward pass are logged; null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid (a CUDA device with the ONNX Runtime engine
    /// among them); the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">The configured device is not available, CUDA was asked for through
    /// <see cref="Devices.EnvironmentVariable"/> with the ONNX Runtime engine, or ONNX Runtime's native library could
    /// not be loaded.</exception>
    public Predictor(NeuralNetwork model, PredictorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new PredictorOptions();
        _logger = logger ?? NullLogger.Instance;
        var problems = _options.Validate().Where(p => !p.StartsWith("WeightsPath", StringComparison.Ordinal)).ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid predictor options: " + string.Join(" ", problems), nameof(options));
        }
        Device = ResolveDevice(_options);
        ModelText = model.ToPyTorchString();
        ParameterCount = model.parameters().Sum(p => p.numel());
        Variant = model.Variant;
        Engine = _options.Engine;
        if (_options.Precision == InferencePrecision.BFloat16 && Device.type != DeviceType.CPU)
        {
            throw new ArgumentException($"Invalid predictor options: Precision BFloat16 runs on the CPU only; the device is {Devices.Describe(Device)}.", nameof(options));
        }
        if (Engine == PredictionEngine.OnnxRuntime)
        {
            _engine = OnnxRuntimeEngine.Create(model);
            model.Dispose();
        }
        else
        {
            _engine = new LibTorchEngine(model, Device,
                new InferenceOptions { PackedMaxBatchSize = _options.PackedMaxBatchSize, Precision = _options.Precision });
        }
        _worker = new Thread(Work) { IsBackground = true, Name = "NeuralNet.Torch predictor" };
        _worker.Start();
    }

    /// <summary>Builds the model of <see cref="PredictorOptions.Variant"/>, loads <see cref="PredictorOptions.WeightsPath"/>
    /// into it strictly (any format <see cref="Checkpoint"/> reads) or keeps its random initialisation when that is
    /// null, and returns a predictor that owns it.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Logs what was loaded, on which device, and failures; null for none.</param>
    /// <returns>The predictor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="CheckpointException">The weights file could not be read or does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">The configured device is not available.</exception>
    public static Predictor Create(PredictorOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        logger ??= NullLogger.Instance;
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid predictor options: " + string.Join(" ", problems), nameof(options));
        }
        var model = new NeuralNetwork(options.Variant);
        try
        {
            if (options.WeightsPath is null)
            {
                logger.LogWarning("No weights configured: serving the randomly initialised {Variant} model.", options.Variant);
            }
            else
            {
                model.LoadCheckpoint(options.WeightsPath);
                logger.LogInformation("Loaded {Variant} weights from {WeightsPath}.", options.Variant, options.WeightsPath);
            }
            var predictor = new Predictor(model, options, logger);
            logger.LogInformation("Predictor ready on {Device} with {Engine} (batches of up to {MaxBatchSize}, waiting up to {MaxBatchWait} ms).",
                Devices.Describe(predictor.Device), predictor.Engine, options.MaxBatchSize, options.MaxBatchWait.TotalMilliseconds);
            return predictor;
        }
        catch (Exception e)
        {
            model.Dispose();
            logger.LogError(e, "Could not load the model: {Message}", e.Message);
            throw;
        }
    }

    /// <summary>The device the model runs on (always the CPU with <see cref="PredictionEngine.OnnxRuntime"/>).</summary>
    public Device Device { get; }

    /// <summary>The engine that runs the forward passes.</summary>
    public PredictionEngine Engine { get; }

    /// <summary>The model's structure as PyTorch prints it (<c>print(model)</c>).</summary>
    public string ModelText { get; }

    /// <summary>The number of parameters (669,706 for either variant).</summary>
    public long ParameterCount { get; }

    /// <summary>The model's variant.</summary>
    public NeuralNetworkVariant Variant { get; }

    /// <summary>The engine (for tests: the ONNX Runtime session's disposal).</summary>
    internal IPredictionEngine EngineInstance => _engine;

    /// <summary>How many batches ran on the packed path (for tests and diagnostics; 0 on ONNX Runtime).</summary>
    internal long PackedBatches => (_engine as LibTorchEngine)?.PackedBatches ?? 0;

    /// <summary>Predicts one image.</summary>
    /// <param name="pixels">784 values in [0, 1] (28 x 28, row by row); copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait; a request already in a forward pass completes anyway.</param>
    /// <returns>The prediction, with its label when class names are configured.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentException">Not 784 values, or a value is NaN or infinite.</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed (also for a request that was waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<ClassPrediction> PredictAsync(float[] pixels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        var results = await Enqueue([pixels], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Predicts several images; they share forward passes with each other and with other callers.</summary>
    /// <param name="images">Images of 784 values each; copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One prediction per image, in order; empty for no images.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="images"/> or one of its images is null.</exception>
    /// <exception cref="ArgumentException">An image is not 784 values or has a NaN or infinite value (the message
    /// gives its index).</exception>
    /// <exception cref="PredictorBusyException">The images do not fit in the queue.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<IReadOnlyList<ClassPrediction>> PredictBatchAsync(IReadOnlyList<float[]> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        return Enqueue(images, cancellationToken);
    }

    /// <summary>Predicts one image, blocking the calling thread (for synchronous code; async code should use
    /// <see cref="PredictAsync"/>).</summary>
    /// <param name="pixels">784 values in [0, 1].</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentException">Not 784 values, or a value is NaN or infinite.</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    public ClassPrediction Predict(float[] pixels) => PredictAsync(pixels).GetAwaiter().GetResult();

    /// <summary>Stops the worker, fails waiting requests with <see cref="ObjectDisposedException"/>, and disposes the
    /// model (with ONNX Runtime: the session, its options and the run options). Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Cancel();
        _worker.Join();
        while (_queue.TryDequeue(out var request))
        {
            request.Fail(new ObjectDisposedException(nameof(Predictor), "The predictor was disposed while the request waited."));
        }
        _engine.Dispose();
        _available.Dispose();
        _stopping.Dispose();
    }

    private Task<IReadOnlyList<ClassPrediction>> Enqueue(IReadOnlyList<float[]> images, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (images.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ClassPrediction>>([]);
        }
        var pixels = new float[images.Count * NeuralNetwork.InputFeatures];
        for (var i = 0; i < images.Count; i++)
        {
            Validate(images[i], images.Count == 1 ? null : i);
            images[i].CopyTo(pixels, i * NeuralNetwork.InputFeatures);
        }
        if (Interlocked.Add(ref _queued, images.Count) > _options.QueueCapacity)
        {
            Interlocked.Add(ref _queued, -images.Count);
            throw new PredictorBusyException(
                $"The predictor's queue is full ({_options.QueueCapacity} images wait for a forward pass); try again later.");
        }
        var request = new Request(pixels, images.Count, cancellationToken);
        _queue.Enqueue(request);
        _available.Release();
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed between the check and the enqueue: the worker may be gone, so fail it here.
            request.Fail(new ObjectDisposedException(nameof(Predictor)));
        }
        return request.Task;
    }

    private static void Validate(float[] image, int? index)
    {
        var which = index is null ? "The image" : $"Image {index}";
        if (image is null)
        {
            throw new ArgumentNullException(nameof(image), $"{which} is null.");
        }
        if (image.Length != NeuralNetwork.InputFeatures)
        {
            throw new ArgumentException(
                $"{which} has {image.Length} values; expected {NeuralNetwork.InputFeatures} (28 x 28 pixels, row by row).", nameof(image));
        }
        var bad = Array.FindIndex(image, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException($"{which} has a non-finite value ({image[bad]}) at pixel {bad}; expected finite values in [0, 1].", nameof(image));
        }
    }

    private void Work()
    {
        var batch = new List<Request>();
        try
        {
            while (true)
            {
                _available.Wait(_stopping.Token);
                var images = Take(batch, 0);
                var deadline = DateTime.UtcNow + _options.MaxBatchWait;
                while (images < _options.MaxBatchSize)
                {
                    var remaining = deadline - DateTime.UtcNow;
                    if (!_available.Wait(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _stopping.Token))
                    {
                        break;
                    }
                    images = Take(batch, images);
                }
                Run(batch);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            foreach (var request in batch)
            {
                request.Fail(new ObjectDisposedException(nameof(Predictor), "The predictor was disposed while the request waited."));
            }
        }
    }

    // Moves one queued request into the batch (each semaphore count stands for one queued request) and returns
    // the batch's image count. A request whose caller cancelled is dropped here.
    private int Take(List<Request> batch, int images)
    {
        if (_queue.TryDequeue(out var request))
        {
            Interlocked.Add(ref _queued, -request.Count);
            if (!request.IsDone)
            {
                batch.Add(request);
                images += request.Count;
            }
        }
        return images;
    }

    private void Run(List<Request> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        try
        {
            var total = batch.Sum(r => r.Count);
            var pixels = new float[total * NeuralNetwork.InputFeatures];
            var offset = 0;
            foreach (var request in batch)
            {
                request.Pixels.CopyTo(pixels, offset);
                offset += request.Pixels.Length;
            }
            var predictions = _engine.Predict(pixels, total);
            var names = _options.ClassNames;
            var next = 0;
            foreach (var request in batch)
            {
                var results = new ClassPrediction[request.Count];
                for (var i = 0; i < results.Length; i++, next++)
                {
                    results[i] = names is null ? predictions[next] : predictions[next] with { Label = names[predictions[next].Class] };
                }
                request.Succeed(results);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A forward pass of {Count} request(s) failed: {Message}", batch.Count, e.Message);
            foreach (var request in batch)
            {
                request.Fail(e);
            }
        }
    }

    // libtorch: Devices.Resolve (the option, else NEURALNET_DEVICE, else CUDA if available). ONNX Runtime: the CPU;
    // an explicit CUDA request, from the option (refused by Validate already) or the variable, is refused.
    private static Device ResolveDevice(PredictorOptions options)
    {
        if (options.Engine == PredictionEngine.LibTorch)
        {
            return Devices.Resolve(options.Device);
        }
        var fromOption = !string.IsNullOrWhiteSpace(options.Device);
        var requested = fromOption ? options.Device : Environment.GetEnvironmentVariable(Devices.EnvironmentVariable);
        if (PredictorOptions.IsCuda(requested))
        {
            var source = fromOption ? "Device" : $"the environment variable {Devices.EnvironmentVariable}";
            throw new InvalidOperationException(
                $"The OnnxRuntime engine runs on the CPU only, but device '{requested}' was requested ({source}). Use " +
                "Engine LibTorch (the default) for CUDA, or ask for 'cpu' or 'auto'.");
        }
        var device = Devices.Resolve(string.IsNullOrWhiteSpace(requested) ? "cpu" : requested);
        return device.type == DeviceType.CPU ? device : CPU;
    }

    private sealed class Request
    {
        private readonly TaskCompletionSource<IReadOnlyList<ClassPrediction>> _completion =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        private readonly CancellationTokenRegistration _registration;

        public Request(float[] pixels, int count, CancellationToken cancellationToken)
        {
            Pixels = pixels;
            Count = count;
            _registration = cancellationToken.Register(static state => ((Request)state!).Cancel(), this);
        }

        public float[] Pixels { get; }

        public int Count { get; }

        public Task<IReadOnlyList<ClassPrediction>> Task => _completion.Task;

        public bool IsDone => _completion.Task.IsCompleted;

        public void Succeed(IReadOnlyList<ClassPrediction> results)
        {
            _completion.TrySetResult(results);
            _registration.Dispose();
        }

        public void Fail(Exception exception)
        {
            _completion.TrySetException(exception);
            _registration.Dispose();
        }

        private void Cancel() => _completion.TrySetCanceled();
    }
}
