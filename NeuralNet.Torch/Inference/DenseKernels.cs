using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// <c>y = act(x W^T + b)</c> for a range of output rows on the widest SIMD vectors the runtime accelerates: the entry
/// points of <see cref="DenseBlocks{TOps, TVec}"/>, which is written once over the width.
/// </summary>
/// <remarks>The width is fixed for a process: 512 bits with AVX-512, 256 with AVX2, 128 with SSE or ARM64's NEON. The
/// runtime's own switches narrow it for a process on any machine (<c>DOTNET_EnableAVX512=0</c> gives 256,
/// <c>DOTNET_EnableAVX2=0</c> gives 128), which is how the tests cover every width.</remarks>
internal static unsafe class DenseKernels
{
    /// <summary>The SIMD width of the packed kernels in this process, in bits: 512, 256 or 128.</summary>
    public static int VectorBits => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    /// <summary>Floats per vector at <see cref="VectorBits"/>.</summary>
    public static int Lanes => VectorBits / 32;

    /// <summary>Computes <c>y[s * ldy + r] = act(b[r] + dot(w[r, :], x[s, :]))</c> for rows <c>[r0, r1)</c> and samples
    /// <c>[0, n)</c>, reading <c>w</c> row-major (<c>[out, in]</c>, as libtorch stores a Linear's weight); a null bias
    /// counts as zeros.</summary>
    public static void Dense(float* w, float* b, int inFeatures, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            DenseBlocks<Vector512Ops, Vector512<float>>.Dense(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            DenseBlocks<Vector256Ops, Vector256<float>>.Dense(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
        else
        {
            DenseBlocks<Vector128Ops, Vector128<float>>.Dense(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
    }

    /// <summary><see cref="Dense"/> over weights laid out by <see cref="Interleave"/> (<c>r0</c>, <c>r1</c> multiples
    /// of 8, <c>inFeatures</c> a multiple of 16, the bias padded like the rows).</summary>
    public static void DenseInterleaved(float* w, float* b, int inFeatures, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            DenseBlocks<Vector512Ops, Vector512<float>>.DenseInterleaved(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            DenseBlocks<Vector256Ops, Vector256<float>>.DenseInterleaved(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
        else
        {
            DenseBlocks<Vector128Ops, Vector128<float>>.DenseInterleaved(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
        }
    }

    /// <summary>The rows of <c>w</c> (<c>[rows, inFeatures]</c>, row-major) as <see cref="DenseInterleaved"/> reads them:
    /// blocks of 8 rows, and inside a block, for each <see cref="Lanes"/> inputs, the 8 rows' values one after the other,
    /// so one block is one sequential stream. Padded with zeros to <paramref name="paddedRows"/> rows (a multiple of 8)
    /// and <paramref name="paddedIn"/> inputs (a multiple of 16).</summary>
    public static void Interleave(ReadOnlySpan<float> w, int rows, int inFeatures, int paddedRows, int paddedIn, Span<float> packed)
    {
        var lanes = Lanes;
        packed[..(paddedRows * paddedIn)].Clear();
        var chunks = paddedIn / lanes;
        for (var b = 0; b < paddedRows / 8; b++)
        {
            for (var c = 0; c < chunks; c++)
            {
                var count = Math.Min(lanes, inFeatures - c * lanes);
                for (var r = 0; r < 8 && b * 8 + r < rows && count > 0; r++)
                {
                    w.Slice((b * 8 + r) * inFeatures + c * lanes, count).CopyTo(packed.Slice(((b * chunks + c) * 8 + r) * lanes, count));
                }
            }
        }
    }
}
