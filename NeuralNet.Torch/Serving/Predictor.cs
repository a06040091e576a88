using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Native;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>
/// A thread-safe predictor for services: owns one classifier, any <c>Module&lt;Tensor, Tensor&gt;</c> whose output is
/// <c>[N, C]</c> logits, and answers requests from many threads and async callers by batching the requests that arrive
/// together into one forward pass (dynamic micro-batching).
/// </summary>
/// <remarks>
/// <para>One dedicated thread owns the model and makes every libtorch call, so no two threads ever use the model at
/// once and dispose scopes (thread-static in TorchSharp) never cross an <c>await</c>. Callers validate and copy their
/// input, queue it, and wait on a task.</para>
/// <para>The worker takes the first waiting request, then lets others join for up to
/// <see cref="PredictorOptions.MaxBatchWait"/> or until <see cref="PredictorOptions.MaxBatchSize"/> samples are
/// gathered, runs one forward pass (softmax + argmax, as
/// <see cref="PredictionExtensions.Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>), and completes
/// each request. A batched result equals the one-at-a-time result in class and, within float32 rounding of a GEMM
/// whose summation order may depend on the batch size, in probabilities. When a batch's forward pass fails, each of
/// its requests is run again alone, so a request the model rejects (a token id outside its vocabulary) fails alone.</para>
/// <para><b>Input.</b> One request is one sample flattened: <see cref="InputLength"/> values, the product of
/// <see cref="PredictorOptions.InputShape"/> (<c>[784]</c> for the document's model: a 28 x 28 image, row by row),
/// which the model receives as <c>[N, ...InputShape]</c>. float32 values go through
/// <see cref="PredictAsync(float[], CancellationToken)"/>, int64 token ids
/// (<see cref="PredictorOptions.InputElementType"/> <see cref="InputElementType.Int64"/>) through
/// <see cref="PredictAsync(long[], CancellationToken)"/>. A wrong length (the message names both counts), a NaN or
/// infinite float, null, or the other element type than the model's is refused with <see cref="ArgumentException"/>
/// on the caller's thread, before anything is queued; the predictor keeps serving.</para>
/// <para><b>Paths.</b> A model whose forward is an MLP chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c> (the
/// document's among them) is frozen when the predictor is built (<see cref="PackedInference.Freeze"/>): batches of up
/// to <see cref="PredictorOptions.PackedMaxBatchSize"/> samples on the CPU run on the managed packed kernels straight
/// from the queued values (no tensor is made), the rest on libtorch, in float32 or, when
/// <see cref="PredictorOptions.Precision"/> opts in, bfloat16. Any other model runs its own forward in libtorch, in
/// eval mode, under <c>no_grad</c> (with grad mode on for a model holding an LSTM, whose no-grad CPU kernel is wrong in
/// libtorch 2.10).</para>
/// <para>Engines (<see cref="PredictorOptions.Engine"/>): <see cref="PredictionEngine.LibTorch"/> (the default) runs
/// the model in libtorch on the CPU or a CUDA device; <see cref="PredictionEngine.OnnxRuntime"/> exports it to ONNX
/// when the predictor is built (<see cref="OnnxExport"/>: sequential MLPs and CNNs) and runs it in an ONNX Runtime CPU
/// session (the application references the <c>Microsoft.ML.OnnxRuntime</c> package). Both take the same input,
/// validate it the same way, batch the same way on the one worker thread, and give the same classes with
/// probabilities equal within 1e-5.</para>
/// <para>Disposing stops the worker, fails every waiting request with <see cref="ObjectDisposedException"/>, and
/// disposes the model (and, with ONNX Runtime, the session and its options).</para>
/// </remarks>
public sealed class Predictor : IDisposable
{
    private readonly IPredictionEngine _engine;
    private readonly PredictorOptions _options;
    private readonly PredictorInput _input;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<PredictorRequest> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Thread _worker;
    private int _queued;
    private int _disposed;

    /// <summary>Creates a predictor that owns the document's <paramref name="model"/> (input <c>[784]</c> unless
    /// <see cref="PredictorOptions.InputShape"/> says otherwise), as
    /// <see cref="Predictor(nn.Module{Tensor, Tensor}, PredictorOptions?, ILogger?)"/>.</summary>
    /// <param name="model">The model; the predictor takes ownership once this constructor returns.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="logger">Where failures of a forward pass are logged; null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Predictor(nn.Module{Tensor, Tensor}, PredictorOptions?, ILogger?)"/>.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="Predictor(nn.Module{Tensor, Tensor}, PredictorOptions?, ILogger?)"/>.</exception>
    public Predictor(NeuralNetwork model, PredictorOptions? options = null, ILogger? logger = null)
        : this((nn.Module<Tensor, Tensor>)model, options, logger)
    {
    }

    /// <summary>Creates a predictor that owns <paramref name="model"/>, any classifier whose forward returns
    /// <c>[N, C]</c> logits. The model is moved to the configured device (libtorch) and put in eval mode, and one
    /// forward pass on a sample of zeros of <see cref="PredictorOptions.InputShape"/> checks that it takes that input
    /// and tells its class count. With the libtorch engine an MLP chain is then frozen (the predictor computes with a
    /// copy of its weights taken here); with ONNX Runtime the model is exported to ONNX in memory and disposed once
    /// the session is open. Otherwise the model is disposed with the predictor.</summary>
    /// <param name="model">The model; the predictor takes ownership once this constructor returns (when it throws, the
    /// caller still owns it).</param>
    /// <param name="options">Settings; null for the defaults. <see cref="PredictorOptions.InputShape"/> is required
    /// unless <paramref name="model"/> is a <see cref="NeuralNetwork"/>. <see cref="PredictorOptions.WeightsPath"/>,
    /// <see cref="PredictorOptions.ModelPath"/> and <see cref="PredictorOptions.Variant"/> are not used here: the model
    /// is given.</param>
    /// <param name="logger">Where failures of a forward pass are logged; null for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem): among them a
    /// missing <see cref="PredictorOptions.InputShape"/>, an input shape the model does not take (the message names the
    /// shape and libtorch's one-line reason), <see cref="PredictorOptions.ClassNames"/> that are not one per class, or
    /// bfloat16 for a model that is no MLP chain.</exception>
    /// <exception cref="NotSupportedException">The model's output is not <c>[N, C]</c> logits (the message names its
    /// shape), or the ONNX Runtime engine was asked for a model that cannot be exported (the message names the
    /// module).</exception>
    /// <exception cref="InvalidOperationException">The configured device is not available, CUDA was asked for through
    /// <see cref="Devices.EnvironmentVariable"/> with the ONNX Runtime engine, or ONNX Runtime's native library could
    /// not be loaded.</exception>
    public Predictor(nn.Module<Tensor, Tensor> model, PredictorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new PredictorOptions();
        _logger = logger ?? NullLogger.Instance;
        var document = model as NeuralNetwork;
        var problems = _options.Validate()
            .Where(p => !p.StartsWith("WeightsPath", StringComparison.Ordinal) && !p.StartsWith("ModelPath", StringComparison.Ordinal)
                && !p.StartsWith("InputShape is required with ModelPath", StringComparison.Ordinal))
            .ToList();
        if (_options.InputShape is null && document is null)
        {
            problems.Add($"InputShape is required for a model other than NeuralNetwork (one sample's shape, e.g. [1, 28, 28]); the model is {ModuleText.TypeName(model)}.");
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid predictor options: " + string.Join(" ", problems), nameof(options));
        }
        TorchRuntime.EnsureInitialized();
        Device = ResolveDevice(_options);
        Engine = _options.Engine;
        if (_options.Precision == InferencePrecision.BFloat16)
        {
            if (Device.type != DeviceType.CPU)
            {
                throw new ArgumentException($"Invalid predictor options: Precision BFloat16 runs on the CPU only; the device is {Devices.Describe(Device)}.", nameof(options));
            }
            if (!MlpChain.TryFind(model, out _, out var reason))
            {
                throw new ArgumentException($"Invalid predictor options: Precision BFloat16 runs MLP chains only ([Flatten] Linear (ReLU Linear)* [ReLU]); {reason}.", nameof(options));
            }
        }
        _input = new PredictorInput(_options.InputShape ?? [NeuralNetwork.InputFeatures], _options.InputElementType, document is not null);
        Variant = document?.Variant;
        ModelText = Describe(model);
        ParameterCount = model.named_parameters().Sum(p => p.parameter.numel());
        if (Engine == PredictionEngine.LibTorch)
        {
            model.to(Device);
        }
        model.eval();
        ClassCount = ModelProbe.Classes(model, _input);
        if (_options.ClassNames is { } names && names.Count != ClassCount)
        {
            throw new ArgumentException($"Invalid predictor options: ClassNames holds {names.Count} names; the model has {ClassCount} classes.", nameof(options));
        }
        if (Engine == PredictionEngine.OnnxRuntime)
        {
            _engine = OnnxRuntimeEngine.Create(model, _input.Shape);
            model.Dispose();
        }
        else
        {
            _engine = new LibTorchEngine(model, _input.Shape, _input.ElementType,
                new InferenceOptions { PackedMaxBatchSize = _options.PackedMaxBatchSize, Precision = _options.Precision });
        }
        _worker = new Thread(Work) { IsBackground = true, Name = "NeuralNet.Torch predictor" };
        _worker.Start();
    }

    /// <summary>Builds the model the options name and returns a predictor that owns it: the TorchScript archive of
    /// <see cref="PredictorOptions.ModelPath"/> (<see cref="TorchScript.Load"/>, no C# class needed), or else the
    /// document's model of <see cref="PredictorOptions.Variant"/> with <see cref="PredictorOptions.WeightsPath"/> loaded
    /// into it strictly (any format <see cref="Checkpoint"/> reads; its random initialisation when that is null).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Logs what was loaded, on which device, and failures; null for none.</param>
    /// <returns>The predictor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or the model does not take them; the message lists
    /// every problem.</exception>
    /// <exception cref="CheckpointException">The weights or TorchScript file could not be read or does not fit the
    /// model.</exception>
    /// <exception cref="NotSupportedException">As for <see cref="Predictor(nn.Module{Tensor, Tensor}, PredictorOptions?, ILogger?)"/>.</exception>
    /// <exception cref="InvalidOperationException">The configured device is not available.</exception>
    public static Predictor Create(PredictorOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Create(options, null, logger);
    }

    /// <summary>Builds the model of <paramref name="modelFactory"/> (a user's own class), loads
    /// <see cref="PredictorOptions.WeightsPath"/> into it strictly (any format <see cref="Checkpoint"/> reads; its
    /// random initialisation when that is null), and returns a predictor that owns it.</summary>
    /// <param name="modelFactory">Makes a new model, e.g. <c>() =&gt; new LeNet()</c>.</param>
    /// <param name="options">The settings; <see cref="PredictorOptions.InputShape"/> is required unless the factory
    /// makes a <see cref="NeuralNetwork"/>, and <see cref="PredictorOptions.ModelPath"/> must be null.</param>
    /// <param name="logger">Logs what was loaded, on which device, and failures; null for none.</param>
    /// <returns>The predictor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="modelFactory"/> or <paramref name="options"/> is null,
    /// or the factory returned null.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or the model does not take them; the message lists
    /// every problem.</exception>
    /// <exception cref="CheckpointException">The weights file could not be read or does not fit the model (the message
    /// names the missing and unexpected keys).</exception>
    /// <exception cref="NotSupportedException">As for <see cref="Predictor(nn.Module{Tensor, Tensor}, PredictorOptions?, ILogger?)"/>.</exception>
    /// <exception cref="InvalidOperationException">The configured device is not available.</exception>
    public static Predictor Create(Func<nn.Module<Tensor, Tensor>> modelFactory, PredictorOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(modelFactory);
        ArgumentNullException.ThrowIfNull(options);
        return Create(options, modelFactory, logger);
    }

    private static Predictor Create(PredictorOptions options, Func<nn.Module<Tensor, Tensor>>? modelFactory, ILogger? logger)
    {
        logger ??= NullLogger.Instance;
        var problems = options.Validate().Concat(FactoryProblems(options, modelFactory)).ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid predictor options: " + string.Join(" ", problems), nameof(options));
        }
        nn.Module<Tensor, Tensor>? model = null;
        try
        {
            TorchRuntime.EnsureInitialized();
            string what;
            if (options.ModelPath is not null)
            {
                model = TorchScript.Load(options.ModelPath);
                what = "TorchScript";
                logger.LogInformation("Loaded the TorchScript model {ModelPath}.", Path.GetFullPath(options.ModelPath));
            }
            else
            {
                model = modelFactory is null ? new NeuralNetwork(options.Variant)
                    : modelFactory() ?? throw new ArgumentNullException(nameof(modelFactory), "The model factory returned null.");
                what = model is NeuralNetwork document ? document.Variant.ToString() : ModuleText.TypeName(model);
                if (options.WeightsPath is null)
                {
                    logger.LogWarning("No weights configured: serving the randomly initialised {Model} model.", what);
                }
                else
                {
                    model.LoadCheckpoint(options.WeightsPath);
                    logger.LogInformation("Loaded {Model} weights from {WeightsPath}.", what, options.WeightsPath);
                }
            }
            var predictor = new Predictor(model, options, logger);
            logger.LogInformation("Predictor ready on {Device} with {Engine} ({Model}, input {InputShape} {InputElementType}, {Classes} classes; batches of up to {MaxBatchSize}, waiting up to {MaxBatchWait} ms).",
                Devices.Describe(predictor.Device), predictor.Engine, what, ShapeText.Of(predictor.InputShape), predictor.InputElementType,
                predictor.ClassCount, options.MaxBatchSize, options.MaxBatchWait.TotalMilliseconds);
            return predictor;
        }
        catch (Exception e)
        {
            model?.Dispose();
            logger.LogError(e, "Could not load the model: {Message}", e.Message);
            throw;
        }
    }

    /// <summary>What the options cannot hold when a factory makes the model.</summary>
    internal static IEnumerable<string> FactoryProblems(PredictorOptions options, Func<nn.Module<Tensor, Tensor>>? modelFactory)
    {
        if (modelFactory is not null && options.ModelPath is not null)
        {
            yield return "ModelPath cannot be used with a registered model factory: the factory makes the model (its weights come from WeightsPath).";
        }
    }

    // print(model) as PyTorch writes it; a model with a TorchSharp layer the printer has no entry for is still served.
    private static string Describe(nn.Module<Tensor, Tensor> model)
    {
        try
        {
            return model.ToPyTorchString();
        }
        catch (NotSupportedException e)
        {
            return $"{ModuleText.TypeName(model)}(?) ({e.Message})";
        }
    }

    /// <summary>The device the model runs on (always the CPU with <see cref="PredictionEngine.OnnxRuntime"/>).</summary>
    public Device Device { get; }

    /// <summary>The engine that runs the forward passes.</summary>
    public PredictionEngine Engine { get; }

    /// <summary>The model's structure as PyTorch prints it (<c>print(model)</c>, the library's
    /// <see cref="PyTorchText.ToPyTorchString(nn.Module)"/>): <c>NeuralNetwork(...)</c>, <c>LeNet(...)</c>,
    /// <c>RecursiveScriptModule(...)</c> for TorchScript. For a model holding a TorchSharp layer the printer cannot
    /// describe, <c>Name(?)</c> followed by the reason.</summary>
    public string ModelText { get; }

    /// <summary>The number of parameter values (669,706 for either variant of the document's model).</summary>
    public long ParameterCount { get; }

    /// <summary>The document model's variant; null for any other model (a user's own class, TorchScript).</summary>
    public NeuralNetworkVariant? Variant { get; }

    /// <summary>One sample's shape, without the batch dimension (<see cref="PredictorOptions.InputShape"/>; <c>[784]</c>
    /// for the document's model by default).</summary>
    public IReadOnlyList<long> InputShape => _input.Shape;

    /// <summary>The values in one request: the product of <see cref="InputShape"/>.</summary>
    public int InputLength => _input.Length;

    /// <summary>The element type of the input (<see cref="PredictorOptions.InputElementType"/>).</summary>
    public InputElementType InputElementType => _input.ElementType;

    /// <summary>The model's class count C (the width of its logits, found by the forward pass at construction): the
    /// length of every prediction's probabilities.</summary>
    public int ClassCount { get; }

    /// <summary>The engine (for tests: the ONNX Runtime session's disposal).</summary>
    internal IPredictionEngine EngineInstance => _engine;

    /// <summary>How many batches ran on the packed path (for tests and diagnostics; 0 on ONNX Runtime).</summary>
    internal long PackedBatches => (_engine as LibTorchEngine)?.PackedBatches ?? 0;

    /// <summary>Predicts one float32 sample: an image of the document's model, or one sample of
    /// <see cref="InputShape"/> flattened.</summary>
    /// <param name="pixels"><see cref="InputLength"/> finite values (784 in [0, 1] for the document's model: 28 x 28,
    /// row by row); copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait; a request already in a forward pass completes anyway.</param>
    /// <returns>The prediction, with its label when class names are configured.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentException">Not <see cref="InputLength"/> values (the message names both counts), a
    /// value is NaN or infinite, or the model takes int64 token ids.</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed (also for a request that was waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<ClassPrediction> PredictAsync(float[] pixels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        _input.RequireFloat32();
        var results = await Enqueue<float>([pixels], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Predicts one sample of int64 token ids (<see cref="InputElementType.Int64"/>).</summary>
    /// <param name="tokens"><see cref="InputLength"/> token ids (the sample of <see cref="InputShape"/>, flattened);
    /// copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait; a request already in a forward pass completes anyway.</param>
    /// <returns>The prediction, with its label when class names are configured.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentException">Not <see cref="InputLength"/> values (the message names both counts), the
    /// model takes float32 values, or the model rejects an id (outside its vocabulary; libtorch's reason).</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed (also for a request that was waiting).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public async Task<ClassPrediction> PredictAsync(long[] tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _input.RequireInt64();
        var results = await Enqueue<long>([tokens], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <summary>Predicts several float32 samples; they share forward passes with each other and with other callers.</summary>
    /// <param name="images">Samples of <see cref="InputLength"/> values each; copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One prediction per sample, in order; empty for none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="images"/> or one of its samples is null.</exception>
    /// <exception cref="ArgumentException">A sample is not <see cref="InputLength"/> values or has a NaN or infinite
    /// value (the message gives its index and both counts), or the model takes int64 token ids.</exception>
    /// <exception cref="PredictorBusyException">The samples do not fit in the queue.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<IReadOnlyList<ClassPrediction>> PredictBatchAsync(IReadOnlyList<float[]> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        _input.RequireFloat32();
        return Enqueue(images, cancellationToken);
    }

    /// <summary>Predicts several samples of int64 token ids; they share forward passes with each other and with other
    /// callers.</summary>
    /// <param name="sequences">Samples of <see cref="InputLength"/> token ids each; copied before this returns.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One prediction per sample, in order; empty for none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sequences"/> or one of its samples is null.</exception>
    /// <exception cref="ArgumentException">A sample is not <see cref="InputLength"/> values (the message gives its index
    /// and both counts), the model takes float32 values, or the model rejects an id.</exception>
    /// <exception cref="PredictorBusyException">The samples do not fit in the queue.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public Task<IReadOnlyList<ClassPrediction>> PredictBatchAsync(IReadOnlyList<long[]> sequences, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        _input.RequireInt64();
        return Enqueue(sequences, cancellationToken);
    }

    /// <summary>Predicts one float32 sample, blocking the calling thread (for synchronous code; async code should use
    /// <see cref="PredictAsync(float[], CancellationToken)"/>).</summary>
    /// <param name="pixels"><see cref="InputLength"/> finite values.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pixels"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="PredictAsync(float[], CancellationToken)"/>.</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    public ClassPrediction Predict(float[] pixels) => PredictAsync(pixels).GetAwaiter().GetResult();

    /// <summary>Predicts one sample of token ids, blocking the calling thread.</summary>
    /// <param name="tokens"><see cref="InputLength"/> token ids.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="PredictAsync(long[], CancellationToken)"/>.</exception>
    /// <exception cref="PredictorBusyException">The queue is full.</exception>
    /// <exception cref="ObjectDisposedException">The predictor is disposed.</exception>
    public ClassPrediction Predict(long[] tokens) => PredictAsync(tokens).GetAwaiter().GetResult();

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

    // A request's samples (float32 values or int64 token ids, as the input takes), each checked and copied into one
    // array for the worker.
    private Task<IReadOnlyList<ClassPrediction>> Enqueue<T>(IReadOnlyList<T[]> samples, CancellationToken cancellationToken)
        where T : unmanaged
    {
        CheckOpen(cancellationToken);
        if (samples.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ClassPrediction>>([]);
        }
        var values = new T[samples.Count * _input.Length];
        for (var i = 0; i < samples.Count; i++)
        {
            _input.Check(samples[i], samples.Count == 1 ? null : i);
            samples[i].CopyTo(values, i * _input.Length);
        }
        return Enqueue(values, samples.Count, cancellationToken);
    }

    private void CheckOpen(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private Task<IReadOnlyList<ClassPrediction>> Enqueue(Array values, int count, CancellationToken cancellationToken)
    {
        if (Interlocked.Add(ref _queued, count) > _options.QueueCapacity)
        {
            Interlocked.Add(ref _queued, -count);
            throw new PredictorBusyException(
                $"The predictor's queue is full ({_options.QueueCapacity} images wait for a forward pass); try again later.");
        }
        var request = new PredictorRequest(values, count, cancellationToken);
        _queue.Enqueue(request);
        _available.Release();
        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed between the check and the enqueue: the worker may be gone, so fail it here.
            request.Fail(new ObjectDisposedException(nameof(Predictor)));
        }
        return request.Task;
    }

    private void Work()
    {
        var batch = new List<PredictorRequest>();
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
    private int Take(List<PredictorRequest> batch, int images)
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

    private void Run(List<PredictorRequest> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        try
        {
            Complete(batch, Forward(batch));
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One request the model rejects (a token id outside its vocabulary) must not fail the others: run each alone.
            _logger.LogWarning("A forward pass of {Count} requests failed ({Message}); running each alone.", batch.Count, e.Message);
            foreach (var request in batch)
            {
                Run([request]);
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A forward pass failed: {Message}", e.Message);
            batch[0].Fail(e);
        }
    }

    private IReadOnlyList<ClassPrediction> Forward(List<PredictorRequest> batch)
    {
        var total = batch.Sum(r => r.Count);
        if (batch.Count == 1)
        {
            return batch[0].Values is float[] single ? _engine.Predict(single, total) : _engine.Predict((long[])batch[0].Values, total);
        }
        var values = Array.CreateInstance(batch[0].Values.GetType().GetElementType()!, (long)total * _input.Length);
        var offset = 0;
        foreach (var request in batch)
        {
            Array.Copy(request.Values, 0, values, offset, request.Values.Length);
            offset += request.Values.Length;
        }
        return values is float[] floats ? _engine.Predict(floats, total) : _engine.Predict((long[])values, total);
    }

    private void Complete(List<PredictorRequest> batch, IReadOnlyList<ClassPrediction> predictions)
    {
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
}
