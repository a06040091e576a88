namespace NeuralNet.Torch.Inference;

/// <summary>How <see cref="Prediction.PredictionExtensions.Predict(NeuralNetwork, TorchSharp.torch.Tensor, InferenceOptions)"/>
/// chooses its implementation.</summary>
public sealed record InferenceOptions
{
    /// <summary>The defaults: the packed float32 path up to <see cref="PackedInference.DefaultMaxBatchSize"/> images,
    /// libtorch float32 above.</summary>
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
}
