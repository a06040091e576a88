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
    /// <para>Measured on this project's CPU (AMD EPYC Zen 5, 2 cores) with the three real FashionMNIST-trained
    /// quickstart checkpoints on the 10,000 MNIST t10k images (the models are FashionMNIST-trained, so agreement with
    /// float32 is the number that matters): argmax agreement with float32 99.62% to 99.69% (31 to 38 images of 10,000
    /// differ, all where the top two probabilities are within rounding of each other), largest absolute probability
    /// difference 0.0016 to 0.0025; accuracy against the MNIST labels moves by at most 0.04 points. See
    /// benchmarks/README.md for the table and the batch-4096 throughput.</para>
    /// <para>Only for MLP chains on the CPU, and only on CPUs with AVX512_BF16 (as .NET sees them):
    /// elsewhere a prediction that asks for it (at any batch size) throws <see cref="NotSupportedException"/> naming
    /// the reason, rather than silently running float32 or a slower emulation.</para>
    /// </remarks>
    BFloat16,
}
