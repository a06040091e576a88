using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// <c>y = act(x W^T + b)</c> for a range of output rows, reading <c>W</c> row-major ([out, in], as libtorch stores a
/// Linear's weight) straight from its memory. One pass over a block of input values feeds several accumulators:
/// 8 output rows at a time for one sample (the weight-bandwidth-bound case), 4 rows x 4 samples for batches.
/// </summary>
/// <remarks>With AVX-512 the blocks run on <see cref="Vector512{T}"/> over the multiples of 16 inputs and a scalar tail
/// covers the rest, so any width works; elsewhere each output is one
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>, which uses Vector256/Vector128 where
/// those are the widest. A null bias counts as zeros.</remarks>
internal static unsafe class DenseKernels
{
    /// <summary>Whether the Vector512 blocks are used (tests turn it off to cover the fallback).</summary>
    internal static bool UseVector512 { get; set; } = Vector512.IsHardwareAccelerated;

    /// <summary>Computes <c>y[s * ldy + r] = act(b[r] + dot(w[r, :], x[s, :]))</c> for rows <c>[r0, r1)</c> and samples
    /// <c>[0, n)</c>.</summary>
    public static void Dense(float* w, float* b, int inFeatures, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        if (UseVector512)
        {
            Dense512(w, b, inFeatures, x, ldx, y, ldy, n, r0, r1, relu);
            return;
        }
        for (var r = r0; r < r1; r++)
        {
            var row = new ReadOnlySpan<float>(w + (long)r * inFeatures, inFeatures);
            for (var s = 0; s < n; s++)
            {
                y[(long)s * ldy + r] = Act(Bias(b, r) + TensorPrimitives.Dot(row, new ReadOnlySpan<float>(x + (long)s * ldx, inFeatures)), relu);
            }
        }
    }

    /// <summary>The rows of <c>w</c> (<c>[rows, inFeatures]</c>, row-major) as <see cref="DenseInterleaved"/> reads them:
    /// blocks of 8 rows, and inside a block, for each 16 inputs, the 8 rows' 16 values one after the other, so one block is
    /// one sequential stream. Padded with zeros to <paramref name="paddedRows"/> rows (a multiple of 8) and
    /// <paramref name="paddedIn"/> inputs (a multiple of 16).</summary>
    public static void Interleave(ReadOnlySpan<float> w, int rows, int inFeatures, int paddedRows, int paddedIn, Span<float> packed)
    {
        packed[..(paddedRows * paddedIn)].Clear();
        var chunks = paddedIn / 16;
        for (var b = 0; b < paddedRows / 8; b++)
        {
            for (var c = 0; c < chunks; c++)
            {
                var count = Math.Min(16, inFeatures - c * 16);
                for (var r = 0; r < 8 && b * 8 + r < rows && count > 0; r++)
                {
                    w.Slice((b * 8 + r) * inFeatures + c * 16, count).CopyTo(packed.Slice(((b * chunks + c) * 8 + r) * 16, count));
                }
            }
        }
    }

    /// <summary><see cref="Dense"/> over weights laid out by <see cref="Interleave"/> (Vector512 only; <c>r0</c>,
    /// <c>r1</c> multiples of 8, <c>inFeatures</c> a multiple of 16).</summary>
    public static void DenseInterleaved(float* w, float* b, int k, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        for (var r = r0; r < r1; r += 8)
        {
            var block = w + (long)r * k;
            var s = 0;
            for (; s + 2 <= n; s += 2)
            {
                Interleaved8x2(block, k, x + (long)s * ldx, ldx, b + r, y + (long)s * ldy + r, ldy, relu);
            }
            if (s < n)
            {
                Interleaved8x1(block, k, x + (long)s * ldx, b + r, y + (long)s * ldy + r, relu);
            }
        }
    }

    [SkipLocalsInit]
    private static void Interleaved8x1(float* w, int k, float* x, float* b, float* y, bool relu)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var i = 0; i < k; i += 16, w += 128)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 32), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 48), xv, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 64), xv, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 80), xv, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 96), xv, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 112), xv, a7);
        }
        Store8(Reduce8(a0, a1, a2, a3, a4, a5, a6, a7) + Vector256.Load(b), y, relu);
    }

    // 8 rows x 2 samples: 10 loads feed 16 FMAs per 16 inputs.
    [SkipLocalsInit]
    private static void Interleaved8x2(float* w, int k, float* x, int ldx, float* b, float* y, int ldy, bool relu)
    {
        var x1 = x + ldx;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (var i = 0; i < k; i += 16, w += 128)
        {
            var u = Vector512.Load(x + i);
            var v = Vector512.Load(x1 + i);
            var q = Vector512.Load(w);
            a0 = Vector512.FusedMultiplyAdd(q, u, a0);
            c0 = Vector512.FusedMultiplyAdd(q, v, c0);
            q = Vector512.Load(w + 16);
            a1 = Vector512.FusedMultiplyAdd(q, u, a1);
            c1 = Vector512.FusedMultiplyAdd(q, v, c1);
            q = Vector512.Load(w + 32);
            a2 = Vector512.FusedMultiplyAdd(q, u, a2);
            c2 = Vector512.FusedMultiplyAdd(q, v, c2);
            q = Vector512.Load(w + 48);
            a3 = Vector512.FusedMultiplyAdd(q, u, a3);
            c3 = Vector512.FusedMultiplyAdd(q, v, c3);
            q = Vector512.Load(w + 64);
            a4 = Vector512.FusedMultiplyAdd(q, u, a4);
            c4 = Vector512.FusedMultiplyAdd(q, v, c4);
            q = Vector512.Load(w + 80);
            a5 = Vector512.FusedMultiplyAdd(q, u, a5);
            c5 = Vector512.FusedMultiplyAdd(q, v, c5);
            q = Vector512.Load(w + 96);
            a6 = Vector512.FusedMultiplyAdd(q, u, a6);
            c6 = Vector512.FusedMultiplyAdd(q, v, c6);
            q = Vector512.Load(w + 112);
            a7 = Vector512.FusedMultiplyAdd(q, u, a7);
            c7 = Vector512.FusedMultiplyAdd(q, v, c7);
        }
        var bias = Vector256.Load(b);
        Store8(Reduce8(a0, a1, a2, a3, a4, a5, a6, a7) + bias, y, relu);
        Store8(Reduce8(c0, c1, c2, c3, c4, c5, c6, c7) + bias, y + ldy, relu);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(Vector256<float> v, float* y, bool relu)
    {
        if (relu)
        {
            v = Vector256.Max(v, Vector256<float>.Zero);
        }
        v.Store(y);
    }

    private static void Dense512(float* w, float* b, int k, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        var r = r0;
        if (n == 1)
        {
            for (; r + 8 <= r1; r += 8)
            {
                Rows8(w + (long)r * k, k, x, b is null ? null : b + r, y + r, relu);
            }
            for (; r < r1; r++)
            {
                y[r] = Act(Bias(b, r) + Dot(w + (long)r * k, x, k), relu);
            }
            return;
        }
        for (; r + 4 <= r1; r += 4)
        {
            var wr = w + (long)r * k;
            var br = b is null ? null : b + r;
            var s = 0;
            for (; s + 4 <= n; s += 4)
            {
                Block4x4(wr, k, x + (long)s * ldx, ldx, br, y + (long)s * ldy + r, ldy, relu);
            }
            for (; s < n; s++)
            {
                Block4x1(wr, k, x + (long)s * ldx, br, y + (long)s * ldy + r, relu);
            }
        }
        for (; r < r1; r++)
        {
            for (var s = 0; s < n; s++)
            {
                y[(long)s * ldy + r] = Act(Bias(b, r) + Dot(w + (long)r * k, x + (long)s * ldx, k), relu);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bias(float* b, int r) => b is null ? 0f : b[r];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Bias8(float* b) => b is null ? Vector256<float>.Zero : Vector256.Load(b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Bias4(float* b) => b is null ? Vector128<float>.Zero : Vector128.Load(b);

    // The inputs past the last multiple of 16, for widths that are not one.
    private static float Tail(float* w, float* x, int from, int k)
    {
        var sum = 0f;
        for (var i = from; i < k; i++)
        {
            sum = MathF.FusedMultiplyAdd(w[i], x[i], sum);
        }
        return sum;
    }

    // ReLU as libtorch does it: NaN stays NaN (MathF.Max(NaN, 0) is NaN, and so is Vector.Max's).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Act(float v, bool relu) => relu ? MathF.Max(v, 0f) : v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* a, float* c, int k)
    {
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var i = 0;
        for (; i + 32 <= k; i += 32)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(c + i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i + 16), Vector512.Load(c + i + 16), acc1);
        }
        for (; i + 16 <= k; i += 16)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(c + i), acc0);
        }
        return Vector512.Sum(acc0 + acc1) + Tail(a, c, i, k);
    }

    // 8 output rows, one sample: 9 loads feed 8 independent FMA chains per 16 inputs.
    [SkipLocalsInit]
    private static void Rows8(float* w, int k, float* x, float* b, float* y, bool relu)
    {
        var w0 = w;
        var w1 = w + k;
        var w2 = w + 2 * k;
        var w3 = w + 3 * k;
        var w4 = w + 4 * k;
        var w5 = w + 5 * k;
        var w6 = w + 6 * k;
        var w7 = w + 7 * k;
        var k16 = k & ~15;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var i = 0; i < k16; i += 16)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xv, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(w4 + i), xv, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(w5 + i), xv, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(w6 + i), xv, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(w7 + i), xv, a7);
        }
        var sums = Reduce8(a0, a1, a2, a3, a4, a5, a6, a7) + Bias8(b);
        if (k16 != k)
        {
            sums += Vector256.Create(
                Tail(w0, x, k16, k), Tail(w1, x, k16, k), Tail(w2, x, k16, k), Tail(w3, x, k16, k),
                Tail(w4, x, k16, k), Tail(w5, x, k16, k), Tail(w6, x, k16, k), Tail(w7, x, k16, k));
        }
        if (relu)
        {
            sums = Vector256.Max(sums, Vector256<float>.Zero);
        }
        sums.Store(y);
    }

    // Eight horizontal sums at once: pairwise adds of unpacked halves instead of eight separate reductions.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Reduce8(
        Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7)
    {
        // 16 lanes -> 8 lanes each (add the 256-bit halves), then reduce the eight Vector256s.
        var b0 = a0.GetLower() + a0.GetUpper();
        var b1 = a1.GetLower() + a1.GetUpper();
        var b2 = a2.GetLower() + a2.GetUpper();
        var b3 = a3.GetLower() + a3.GetUpper();
        var b4 = a4.GetLower() + a4.GetUpper();
        var b5 = a5.GetLower() + a5.GetUpper();
        var b6 = a6.GetLower() + a6.GetUpper();
        var b7 = a7.GetLower() + a7.GetUpper();
        return Vector256.Create(
            Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3),
            Vector256.Sum(b4), Vector256.Sum(b5), Vector256.Sum(b6), Vector256.Sum(b7));
    }

    // 4 output rows x 4 samples: 8 loads feed 16 FMAs per 16 inputs (FMA-bound, not load-bound).
    [SkipLocalsInit]
    private static void Block4x4(float* w, int k, float* x, int ldx, float* b, float* y, int ldy, bool relu)
    {
        var w0 = w;
        var w1 = w + k;
        var w2 = w + 2 * k;
        var w3 = w + 3 * k;
        var x0 = x;
        var x1 = x + ldx;
        var x2 = x + 2 * ldx;
        var x3 = x + 3 * ldx;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        var k16 = k & ~15;
        for (var i = 0; i < k16; i += 16)
        {
            var v0 = Vector512.Load(w0 + i);
            var v1 = Vector512.Load(w1 + i);
            var v2 = Vector512.Load(w2 + i);
            var v3 = Vector512.Load(w3 + i);
            var u = Vector512.Load(x0 + i);
            a00 = Vector512.FusedMultiplyAdd(v0, u, a00);
            a01 = Vector512.FusedMultiplyAdd(v1, u, a01);
            a02 = Vector512.FusedMultiplyAdd(v2, u, a02);
            a03 = Vector512.FusedMultiplyAdd(v3, u, a03);
            u = Vector512.Load(x1 + i);
            a10 = Vector512.FusedMultiplyAdd(v0, u, a10);
            a11 = Vector512.FusedMultiplyAdd(v1, u, a11);
            a12 = Vector512.FusedMultiplyAdd(v2, u, a12);
            a13 = Vector512.FusedMultiplyAdd(v3, u, a13);
            u = Vector512.Load(x2 + i);
            a20 = Vector512.FusedMultiplyAdd(v0, u, a20);
            a21 = Vector512.FusedMultiplyAdd(v1, u, a21);
            a22 = Vector512.FusedMultiplyAdd(v2, u, a22);
            a23 = Vector512.FusedMultiplyAdd(v3, u, a23);
            u = Vector512.Load(x3 + i);
            a30 = Vector512.FusedMultiplyAdd(v0, u, a30);
            a31 = Vector512.FusedMultiplyAdd(v1, u, a31);
            a32 = Vector512.FusedMultiplyAdd(v2, u, a32);
            a33 = Vector512.FusedMultiplyAdd(v3, u, a33);
        }
        var bias = Bias4(b);
        var s01 = Reduce8(a00, a01, a02, a03, a10, a11, a12, a13);
        var s23 = Reduce8(a20, a21, a22, a23, a30, a31, a32, a33);
        if (k16 != k)
        {
            s01 += Vector256.Create(
                Tail(w0, x0, k16, k), Tail(w1, x0, k16, k), Tail(w2, x0, k16, k), Tail(w3, x0, k16, k),
                Tail(w0, x1, k16, k), Tail(w1, x1, k16, k), Tail(w2, x1, k16, k), Tail(w3, x1, k16, k));
            s23 += Vector256.Create(
                Tail(w0, x2, k16, k), Tail(w1, x2, k16, k), Tail(w2, x2, k16, k), Tail(w3, x2, k16, k),
                Tail(w0, x3, k16, k), Tail(w1, x3, k16, k), Tail(w2, x3, k16, k), Tail(w3, x3, k16, k));
        }
        Store4(s01.GetLower() + bias, y, relu);
        Store4(s01.GetUpper() + bias, y + ldy, relu);
        Store4(s23.GetLower() + bias, y + 2 * ldy, relu);
        Store4(s23.GetUpper() + bias, y + 3 * ldy, relu);
    }

    // 4 output rows x 1 sample (the batch's last samples when N is not a multiple of 4).
    [SkipLocalsInit]
    private static void Block4x1(float* w, int k, float* x, float* b, float* y, bool relu)
    {
        var w0 = w;
        var w1 = w + k;
        var w2 = w + 2 * k;
        var w3 = w + 3 * k;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var k16 = k & ~15;
        for (var i = 0; i < k16; i += 16)
        {
            var u = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), u, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), u, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), u, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), u, a3);
        }
        var z = Vector512<float>.Zero;
        var sums = Reduce8(a0, a1, a2, a3, z, z, z, z).GetLower();
        if (k16 != k)
        {
            sums += Vector128.Create(Tail(w0, x, k16, k), Tail(w1, x, k16, k), Tail(w2, x, k16, k), Tail(w3, x, k16, k));
        }
        Store4(sums + Bias4(b), y, relu);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(Vector128<float> v, float* y, bool relu)
    {
        if (relu)
        {
            v = Vector128.Max(v, Vector128<float>.Zero);
        }
        v.Store(y);
    }
}
