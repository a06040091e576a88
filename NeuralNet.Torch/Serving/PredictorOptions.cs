using NeuralNet.Torch.Inference;

namespace NeuralNet.Torch.Serving;

/// <summary>Settings of a <see cref="Predictor"/>. Checked when the predictor is built (and, with dependency
/// injection, at application start-up).</summary>
public sealed class PredictorOptions
{
    /// <summary>The checkpoint to load (any checkpoint format the library reads) into the model the predictor builds:
    /// the document's <see cref="NeuralNetwork"/> of <see cref="Variant"/>, or the model of a registered factory
    /// (<see cref="Microsoft.Extensions.DependencyInjection.PredictorServiceCollectionExtensions.AddNeuralNetPredictor(Microsoft.Extensions.DependencyInjection.IServiceCollection, Func{TorchSharp.torch.nn.Module{TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}}, Action{PredictorOptions})"/>);
    /// null serves its random initialisation. Not used with <see cref="ModelPath"/> (the archive holds its weights) or
    /// by the constructors (the model is given). A relative path is resolved against the process's current
    /// directory.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>A TorchScript archive (<c>torch.jit.save</c> of <c>torch.jit.script</c> or <c>torch.jit.trace</c>) to
    /// serve instead of the document's model, with no C# class at all (<see cref="Persistence.TorchScript.Load"/>);
    /// null for none. Needs <see cref="InputShape"/>; excludes <see cref="WeightsPath"/>. A relative path is resolved
    /// against the process's current directory.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The model variant the weights belong to, when the predictor builds the document's model (no
    /// <see cref="ModelPath"/>, no factory). Default: <see cref="NeuralNetworkVariant.Documented"/>.</summary>
    public NeuralNetworkVariant Variant { get; set; } = NeuralNetworkVariant.Documented;

    /// <summary>One sample's shape, without the batch dimension: <c>[1, 28, 28]</c> for a CNN on MNIST images,
    /// <c>[12]</c> for 12 token ids. A request holds one sample flattened (row by row), so its length is the product of
    /// these sizes, and the model receives <c>[N, ...InputShape]</c>. Null (the default) means <c>[784]</c> for the
    /// document's <see cref="NeuralNetwork"/>; every other model needs it set (the predictor cannot know what the model
    /// takes). Checked when the predictor is built by one forward pass on a sample of zeros.</summary>
    public IReadOnlyList<long>? InputShape { get; set; }

    /// <summary>The element type of the input: <see cref="Serving.InputElementType.Float32"/> (the default) or
    /// <see cref="Serving.InputElementType.Int64"/> token ids for a model that starts with an <c>Embedding</c>.</summary>
    public InputElementType InputElementType { get; set; } = InputElementType.Float32;

    /// <summary>The device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>; null means
    /// <see cref="Devices.Resolve"/>'s default (the <c>NEURALNET_DEVICE</c> variable, else CUDA if available).
    /// With <see cref="PredictionEngine.OnnxRuntime"/> only <c>cpu</c>, <c>auto</c> or null (both mean the CPU) are
    /// accepted.</summary>
    public string? Device { get; set; }

    /// <summary>Which runtime computes the forward passes. Default <see cref="PredictionEngine.LibTorch"/>, the only
    /// choice for CUDA; <see cref="PredictionEngine.OnnxRuntime"/> runs on the CPU and needs the application to
    /// reference the <c>Microsoft.ML.OnnxRuntime</c> package.</summary>
    public PredictionEngine Engine { get; set; } = PredictionEngine.LibTorch;

    /// <summary>Names of the model's classes, index = class (e.g. FashionMNIST's 10: <c>T-shirt/top</c> ...
    /// <c>Ankle boot</c>); null for none. When set, each prediction carries its
    /// <see cref="ClassPrediction.Label"/>. Their number is checked against the model's class count when the
    /// predictor is built.</summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>The most requests one forward pass serves (1 to 4096). Default 64.</summary>
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>How long the first request of a batch waits for others to join it (0 to 1 second). Default 1 ms:
    /// under load, batches fill without waiting; alone, a request waits at most this long.</summary>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How many images may wait for a forward pass (at least 1). A request beyond this is refused at once
    /// with <see cref="PredictorBusyException"/> rather than queued without bound. Default 4096.</summary>
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>The largest batch that runs on the managed <see cref="PackedInference"/> float32 path (0 to 4096; 0 turns
    /// it off). Default <see cref="PackedInference.DefaultMaxBatchSize"/>, the measured cut-over (above
    /// <see cref="MaxBatchSize"/>'s default, so by default every batch runs on the packed path); larger batches run
    /// libtorch.</summary>
    public int PackedMaxBatchSize { get; set; } = PackedInference.DefaultMaxBatchSize;

    /// <summary>The arithmetic of batches above <see cref="PackedMaxBatchSize"/>: float32 (default), or the opt-in
    /// <see cref="InferencePrecision.BFloat16"/>, accepted only for the CPU on CPUs with AVX512_BF16 (see there for its
    /// measured accuracy cost).</summary>
    public InferencePrecision Precision { get; set; } = InferencePrecision.Float32;

    /// <summary>Every problem with these settings, one message each, each naming its setting; empty when they are
    /// valid. Does not touch libtorch, so it can run before anything is loaded. What needs the model (that it takes
    /// <see cref="InputShape"/>, the number of <see cref="ClassNames"/>) is checked when the predictor is built.</summary>
    /// <returns>The problems.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(InputElementType))
        {
            problems.Add($"InputElementType must be Float32 or Int64; found {InputElementType}.");
        }
        else if (InputElementType == InputElementType.Int64 && Engine == PredictionEngine.OnnxRuntime)
        {
            problems.Add("InputElementType Int64 needs Engine LibTorch (the default): exported ONNX graphs take float32 input.");
        }
        if (InputShape is not null)
        {
            if (InputShape.Count == 0 || InputShape.Any(d => d < 1))
            {
                problems.Add($"InputShape must hold one or more sizes of at least 1; found {ShapeText.Of(InputShape)}.");
            }
            else if (InputShape.Aggregate(1.0, (product, d) => product * d) > MaxSampleValues)
            {
                problems.Add($"InputShape {ShapeText.Of(InputShape)} holds more than {MaxSampleValues} values per sample.");
            }
        }
        if (ModelPath is not null)
        {
            if (!File.Exists(ModelPath))
            {
                problems.Add($"ModelPath '{ModelPath}'{Resolved(ModelPath)} does not exist or is not a file.");
            }
            if (WeightsPath is not null)
            {
                problems.Add("WeightsPath cannot be used with ModelPath: a TorchScript archive holds its own weights.");
            }
            if (InputShape is null)
            {
                problems.Add("InputShape is required with ModelPath: a TorchScript model does not declare what it takes (one sample's shape, e.g. 1,28,28).");
            }
        }
        if (!Enum.IsDefined(Variant))
        {
            problems.Add($"Variant must be Documented or Quickstart; found {Variant}.");
        }
        if (!Enum.IsDefined(Engine))
        {
            problems.Add($"Engine must be LibTorch or OnnxRuntime; found {Engine}.");
        }
        else if (Engine == PredictionEngine.OnnxRuntime && IsCuda(Device))
        {
            problems.Add($"Engine OnnxRuntime runs on the CPU only; Device '{Device}' needs Engine LibTorch (the default).");
        }
        if (MaxBatchSize is < 1 or > 4096)
        {
            problems.Add($"MaxBatchSize must be between 1 and 4096; found {MaxBatchSize}.");
        }
        if (MaxBatchWait < TimeSpan.Zero || MaxBatchWait > TimeSpan.FromSeconds(1))
        {
            problems.Add($"MaxBatchWait must be between 0 and 1 second; found {MaxBatchWait}.");
        }
        if (PackedMaxBatchSize is < 0 or > 4096)
        {
            problems.Add($"PackedMaxBatchSize must be between 0 and 4096; found {PackedMaxBatchSize}.");
        }
        if (!Enum.IsDefined(Precision))
        {
            problems.Add($"Precision must be Float32 or BFloat16; found {Precision}.");
        }
        else if (Precision == InferencePrecision.BFloat16 && !CpuFeatures.HasAvx512BFloat16)
        {
            problems.Add("Precision BFloat16 needs a CPU with AVX512_BF16, and this one has none; use Float32.");
        }
        if (QueueCapacity < 1)
        {
            problems.Add($"QueueCapacity must be at least 1; found {QueueCapacity}.");
        }
        if (ClassNames is not null && (ClassNames.Count == 0 || ClassNames.Any(string.IsNullOrWhiteSpace)))
        {
            problems.Add($"ClassNames must hold one non-empty name per class; found {ClassNames.Count}" +
                (ClassNames.Any(string.IsNullOrWhiteSpace) ? " with an empty one." : "."));
        }
        if (WeightsPath is not null && !File.Exists(WeightsPath))
        {
            problems.Add($"WeightsPath '{WeightsPath}'{Resolved(WeightsPath)} does not exist or is not a file.");
        }
        return problems;
    }

    /// <summary>The most values one sample may hold (a request's length): 16M.</summary>
    internal const int MaxSampleValues = 1 << 24;

    // A relative path's meaning, for its message: " (resolved against the current directory: /full/path)".
    private static string Resolved(string path) =>
        Path.IsPathFullyQualified(path) ? "" : $" (resolved against the current directory: {Path.GetFullPath(path)})";

    /// <summary>True for a device text that asks for CUDA (<c>cuda</c>, <c>cuda:N</c>, any case).</summary>
    internal static bool IsCuda(string? device) =>
        device is not null && device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
}
