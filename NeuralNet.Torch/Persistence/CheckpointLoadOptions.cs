namespace NeuralNet.Torch.Persistence;

/// <summary>How <see cref="Checkpoint.LoadCheckpoint"/> matches a file to a model.</summary>
public sealed record CheckpointLoadOptions
{
    /// <summary>The defaults: strict, no element-type conversion.</summary>
    public static CheckpointLoadOptions Default { get; } = new();

    /// <summary>True (default): every key of the model must be in the file and every key of the file in the model,
    /// as PyTorch's <c>load_state_dict(strict=True)</c>. False: keys on one side only are skipped and reported in the
    /// returned <see cref="IncompatibleKeys"/>, as <c>strict=False</c>. Shape and element-type mismatches of keys on
    /// both sides are refused either way (PyTorch refuses size mismatches even with <c>strict=False</c>).</summary>
    public bool Strict { get; init; } = true;

    /// <summary>False (default): a tensor whose element type differs from the model's is refused, naming both types.
    /// True: a floating-point tensor (float64, float16, bfloat16) is converted to the model's floating-point type
    /// (rounding to nearest, as <c>Tensor.to(dtype)</c>). Integer and bool tensors are never converted.</summary>
    public bool ConvertFloatingPoint { get; init; }
}
