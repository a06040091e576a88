namespace NeuralNet.Torch.Inference;

/// <summary>Which implementation runs a prediction (see <see cref="PackedInference.ChoosePath"/> and
/// <see cref="FrozenModel.ChoosePath"/>).</summary>
internal enum InferencePath
{
    /// <summary>The managed float32 path: managed SIMD kernels (AVX-512, AVX2 or 128-bit) split across two cores, over a live
    /// model's parameters or a frozen model's copy. For small batches of a float32 MLP chain on the CPU.</summary>
    Packed,

    /// <summary>libtorch's float32 forward pass (MKL GEMM on the CPU, cuBLAS on CUDA): the model's own forward, or the
    /// frozen copy's chain.</summary>
    LibTorch,

    /// <summary>libtorch in bfloat16 (opt-in with <see cref="InferencePrecision.BFloat16"/>), for an MLP chain's large
    /// batches on CPUs with AVX512_BF16.</summary>
    LibTorchBFloat16,
}
