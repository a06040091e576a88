using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Torch.Inference;

/// <summary>What the CPU offers to the inference paths.</summary>
internal static class CpuFeatures
{
    private static readonly Lazy<bool> Bf16 = new(DetectAvx512BFloat16);

    /// <summary>True when the CPU has AVX-512 and the runtime uses it (the packed path's Vector512 kernels).</summary>
    public static bool HasAvx512 => Avx512F.IsSupported;

    /// <summary>True when the CPU has AVX512_BF16 (CPUID leaf 7, sub-leaf 1, EAX bit 5) and the OS enables AVX-512
    /// state: the condition for <see cref="InferencePrecision.BFloat16"/>. False on other architectures.</summary>
    public static bool HasAvx512BFloat16 => Bf16.Value;

    private static bool DetectAvx512BFloat16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported)
        {
            return false;
        }
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7)
        {
            return false;
        }
        var (maxSubLeaf, _, _, _) = X86Base.CpuId(7, 0);
        if (maxSubLeaf < 1)
        {
            return false;
        }
        var (eax, _, _, _) = X86Base.CpuId(7, 1);
        return (eax & (1 << 5)) != 0;
    }
}
