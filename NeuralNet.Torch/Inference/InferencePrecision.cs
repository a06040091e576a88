namespace NeuralNet.Torch.Inference;

/// <summary>The arithmetic used for batches larger than <see cref="InferenceOptions.PackedMaxBatchSize"/>.</summary>
public enum InferencePrecision
{
    /// <summary>float32 throughout (the default): results equal libtorch's float32 forward pass.</summary>
    Float32,

    /// <summary>Opt-in, for MLP chains (<c>[Flatten] Linear (ReLU Linear)* [ReLU]</c>, see <see cref="PackedInference"/>):
    /// large batches run in bfloat16 through libtorch (oneDNN), several times faster on CPUs with AVX512_BF16, at a
    /// small, measured accuracy cost. Weights and input are rounded to bfloat16 (8 bits of
    /// mantissa), logits are converted back to float32 for the softmax. Small batches (up to
    /// <see cref="InferenceOptions.PackedMaxBatchSize"/>) still run the exact float32 packed path, which is faster
    /// there.</summary>
    /// <remarks>
    /// <para>The accuracy cost on real checkpoints and images (how often the class differs from float32's, and the
    /// largest probability difference) and the large-batch throughput are in benchmarks/README.md; the classes that
    /// differ are those whose top two probabilities are within rounding of each other.</para>
    /// <para>Only for MLP chains on the CPU, and only on CPUs with AVX512_BF16 (as .NET sees them):
    /// elsewhere a prediction that asks for it (at any batch size) throws <see cref="NotSupportedException"/> naming
    /// the reason, rather than silently running float32 or a slower emulation.</para>
    /// </remarks>
    BFloat16,
}
