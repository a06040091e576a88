namespace NeuralNet.Torch.Inference;

/// <summary>Which implementation runs a prediction (see <see cref="PackedInference.ChoosePath"/>).</summary>
public enum InferencePath
{
    /// <summary>The managed float32 path: AVX-512 (or TensorPrimitives) kernels over the model's live parameters,
    /// split across two cores. For small batches of a float32 model on the CPU.</summary>
    Packed,

    /// <summary>libtorch's float32 forward pass (MKL GEMM on the CPU, cuBLAS on CUDA).</summary>
    LibTorch,

    /// <summary>libtorch in bfloat16 (opt-in with <see cref="InferencePrecision.BFloat16"/>), for large batches on
    /// CPUs with AVX512_BF16.</summary>
    LibTorchBFloat16,
}
