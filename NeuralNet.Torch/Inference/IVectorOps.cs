using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>The float32 vector operations the packed kernels use, for one SIMD width, so each kernel is written once
/// over the width (<see cref="Vector512Ops"/>, <see cref="Vector256Ops"/>, <see cref="Vector128Ops"/>). The kernels
/// are generic over a struct implementing it, so the JIT compiles one copy per width with every call inlined.</summary>
/// <typeparam name="TVec">The vector type: <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/> or
/// <see cref="Vector128{T}"/> of float.</typeparam>
internal unsafe interface IVectorOps<TVec>
    where TVec : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(float* p);

    static abstract void Store(TVec v, float* p);

    /// <summary>Every lane <paramref name="x"/>.</summary>
    static abstract TVec Splat(float x);

    /// <summary><c>a * b + c</c>, fused where the CPU has FMA (x86 AVX2 machines and ARM64), else rounded twice.</summary>
    static abstract TVec MulAdd(TVec a, TVec b, TVec c);

    static abstract TVec Add(TVec a, TVec b);

    /// <summary><c>max(v, 0)</c> per lane; NaN stays NaN, as libtorch's ReLU keeps it.</summary>
    static abstract TVec Relu(TVec v);

    /// <summary>The four vectors' horizontal sums, in order.</summary>
    static abstract Vector128<float> Sums(TVec a0, TVec a1, TVec a2, TVec a3);
}
