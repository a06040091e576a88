namespace NeuralNet.Torch.Inference;

/// <summary>How <see cref="Prediction.PredictionExtensions.Predict(TorchSharp.torch.nn.Module{TorchSharp.torch.Tensor, TorchSharp.torch.Tensor}, TorchSharp.torch.Tensor, InferenceOptions?)"/>
/// and <see cref="FrozenModel.Predict(TorchSharp.torch.Tensor, InferenceOptions?)"/> run (which implementation, which
/// precision) and how they label their results.</summary>
public sealed record InferenceOptions
{
    /// <summary>The defaults: the packed float32 path up to <see cref="PackedInference.DefaultMaxBatchSize"/> samples
    /// (for models it recognises), libtorch float32 above; no class names.</summary>
    public static InferenceOptions Default { get; } = new();

    /// <summary>libtorch float32 for every batch (the packed path off): what <c>model.forward</c> computes.</summary>
    public static InferenceOptions LibTorchOnly { get; } = new() { PackedMaxBatchSize = 0 };

    /// <summary>The largest batch that runs on the packed float32 path (when the model and input allow it); 0 turns
    /// the packed path off. Default <see cref="PackedInference.DefaultMaxBatchSize"/>, the measured cut-over.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public int PackedMaxBatchSize
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(PackedMaxBatchSize), value, "Expected 0 (off) or more.");
    } = PackedInference.DefaultMaxBatchSize;

    /// <summary>The arithmetic for batches above <see cref="PackedMaxBatchSize"/>. Default
    /// <see cref="InferencePrecision.Float32"/>; <see cref="InferencePrecision.BFloat16"/> is the opt-in reduced
    /// precision mode (see there for its measured accuracy cost and where it is refused).</summary>
    public InferencePrecision Precision { get; init; } = InferencePrecision.Float32;

    /// <summary>The name of each class, in the order of the model's outputs, for
    /// <see cref="ClassPrediction.Label"/> (e.g. FashionMNIST's <c>T-shirt/top</c> ... <c>Ankle boot</c>);
    /// null (the default) for no labels. A prediction refuses names whose count is not the model's number of classes
    /// (<see cref="ArgumentException"/>, naming both counts). The list is copied when set.</summary>
    /// <exception cref="ArgumentException">Set to a list holding a null name.</exception>
    public IReadOnlyList<string>? ClassNames
    {
        get;
        init => field = value is null
            ? null
            : value.Contains(null!)
                ? throw new ArgumentException("Expected a name for every class; found a null name.", nameof(ClassNames))
                : Array.AsReadOnly(value.ToArray());
    }
}
