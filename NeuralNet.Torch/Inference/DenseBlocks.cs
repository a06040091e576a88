using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// The dense kernels at one SIMD width (<typeparamref name="TOps"/>): one pass over a block of input values feeds
/// several independent accumulators, 8 output rows at a time for one sample (the weight-bandwidth-bound case) and
/// 4 rows x 4 samples for batches (4 x 2 below 512 bits, where only 16 vector registers exist).
/// </summary>
/// <remarks>The vector loops cover the multiples of <see cref="IVectorOps{TVec}.Count"/> inputs and a scalar tail the
/// rest, so any width works. A null bias counts as zeros.</remarks>
internal static unsafe class DenseBlocks<TOps, TVec>
    where TOps : struct, IVectorOps<TVec>
    where TVec : struct
{
    /// <summary>See <see cref="DenseKernels.Dense"/>.</summary>
    public static void Dense(float* w, float* b, int k, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
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
        // Four samples' accumulators need 21 registers: only AVX-512 has them (32).
        var samples = TOps.Count == 16 ? 4 : 2;
        for (; r + 4 <= r1; r += 4)
        {
            var wr = w + (long)r * k;
            var br = b is null ? null : b + r;
            var s = 0;
            for (; s + samples <= n; s += samples)
            {
                if (samples == 4)
                {
                    Block4x4(wr, k, x + (long)s * ldx, ldx, br, y + (long)s * ldy + r, ldy, relu);
                }
                else
                {
                    Block4x2(wr, k, x + (long)s * ldx, ldx, br, y + (long)s * ldy + r, ldy, relu);
                }
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

    /// <summary>See <see cref="DenseKernels.DenseInterleaved"/>.</summary>
    public static void DenseInterleaved(float* w, float* b, int k, float* x, int ldx, float* y, int ldy, int n, int r0, int r1, bool relu)
    {
        for (var r = r0; r < r1; r += 8)
        {
            var block = w + (long)r * k;
            var s = 0;
            // Two samples' accumulators need 19 registers: only AVX-512 has them; below it each sample rereads the
            // block (8 rows, from L1).
            if (TOps.Count == 16)
            {
                for (; s + 2 <= n; s += 2)
                {
                    Interleaved8x2(block, k, x + (long)s * ldx, ldx, b + r, y + (long)s * ldy + r, ldy, relu);
                }
            }
            for (; s < n; s++)
            {
                Interleaved8x1(block, k, x + (long)s * ldx, b + r, y + (long)s * ldy + r, relu);
            }
        }
    }

    [SkipLocalsInit]
    private static void Interleaved8x1(float* w, int k, float* x, float* b, float* y, bool relu)
    {
        var c = TOps.Count;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        for (var i = 0; i < k; i += c, w += 8 * c)
        {
            var xv = TOps.Load(x + i);
            a0 = TOps.MulAdd(TOps.Load(w), xv, a0);
            a1 = TOps.MulAdd(TOps.Load(w + c), xv, a1);
            a2 = TOps.MulAdd(TOps.Load(w + 2 * c), xv, a2);
            a3 = TOps.MulAdd(TOps.Load(w + 3 * c), xv, a3);
            a4 = TOps.MulAdd(TOps.Load(w + 4 * c), xv, a4);
            a5 = TOps.MulAdd(TOps.Load(w + 5 * c), xv, a5);
            a6 = TOps.MulAdd(TOps.Load(w + 6 * c), xv, a6);
            a7 = TOps.MulAdd(TOps.Load(w + 7 * c), xv, a7);
        }
        Store4(TOps.Sums(a0, a1, a2, a3) + Vector128.Load(b), y, relu);
        Store4(TOps.Sums(a4, a5, a6, a7) + Vector128.Load(b + 4), y + 4, relu);
    }

    // 8 rows x 2 samples: 10 loads feed 16 FMAs per vector of inputs.
    [SkipLocalsInit]
    private static void Interleaved8x2(float* w, int k, float* x, int ldx, float* b, float* y, int ldy, bool relu)
    {
        var c = TOps.Count;
        var x1 = x + ldx;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (var i = 0; i < k; i += c, w += 8 * c)
        {
            var u = TOps.Load(x + i);
            var v = TOps.Load(x1 + i);
            var q = TOps.Load(w);
            a0 = TOps.MulAdd(q, u, a0);
            c0 = TOps.MulAdd(q, v, c0);
            q = TOps.Load(w + c);
            a1 = TOps.MulAdd(q, u, a1);
            c1 = TOps.MulAdd(q, v, c1);
            q = TOps.Load(w + 2 * c);
            a2 = TOps.MulAdd(q, u, a2);
            c2 = TOps.MulAdd(q, v, c2);
            q = TOps.Load(w + 3 * c);
            a3 = TOps.MulAdd(q, u, a3);
            c3 = TOps.MulAdd(q, v, c3);
            q = TOps.Load(w + 4 * c);
            a4 = TOps.MulAdd(q, u, a4);
            c4 = TOps.MulAdd(q, v, c4);
            q = TOps.Load(w + 5 * c);
            a5 = TOps.MulAdd(q, u, a5);
            c5 = TOps.MulAdd(q, v, c5);
            q = TOps.Load(w + 6 * c);
            a6 = TOps.MulAdd(q, u, a6);
            c6 = TOps.MulAdd(q, v, c6);
            q = TOps.Load(w + 7 * c);
            a7 = TOps.MulAdd(q, u, a7);
            c7 = TOps.MulAdd(q, v, c7);
        }
        var lower = Vector128.Load(b);
        var upper = Vector128.Load(b + 4);
        Store4(TOps.Sums(a0, a1, a2, a3) + lower, y, relu);
        Store4(TOps.Sums(a4, a5, a6, a7) + upper, y + 4, relu);
        Store4(TOps.Sums(c0, c1, c2, c3) + lower, y + ldy, relu);
        Store4(TOps.Sums(c4, c5, c6, c7) + upper, y + ldy + 4, relu);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Bias(float* b, int r) => b is null ? 0f : b[r];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Bias4(float* b) => b is null ? Vector128<float>.Zero : Vector128.Load(b);

    // The inputs past the last whole vector.
    private static float Tail(float* w, float* x, int from, int k)
    {
        var sum = 0f;
        for (var i = from; i < k; i++)
        {
            sum = MathF.FusedMultiplyAdd(w[i], x[i], sum);
        }
        return sum;
    }

    // The tails of the four rows of w (row-major, k wide) against one sample. It takes the block's base pointer, not
    // each row's, so that no row pointer of the loop stays live across the call (and spilled inside the loop).
    private static Vector128<float> Tails(float* w, int k, float* x, int from) =>
        Vector128.Create(Tail(w, x, from, k), Tail(w + k, x, from, k), Tail(w + 2 * k, x, from, k), Tail(w + 3 * k, x, from, k));

    // ReLU as libtorch does it: NaN stays NaN (MathF.Max(NaN, 0) is NaN, and so is Vector.Max's).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Act(float v, bool relu) => relu ? MathF.Max(v, 0f) : v;

    private static float Dot(float* a, float* x, int k)
    {
        var c = TOps.Count;
        var acc0 = TOps.Zero;
        var acc1 = TOps.Zero;
        var i = 0;
        for (; i + 2 * c <= k; i += 2 * c)
        {
            acc0 = TOps.MulAdd(TOps.Load(a + i), TOps.Load(x + i), acc0);
            acc1 = TOps.MulAdd(TOps.Load(a + i + c), TOps.Load(x + i + c), acc1);
        }
        for (; i + c <= k; i += c)
        {
            acc0 = TOps.MulAdd(TOps.Load(a + i), TOps.Load(x + i), acc0);
        }
        var z = TOps.Zero;
        return Vector128.Sum(TOps.Sums(TOps.Add(acc0, acc1), z, z, z)) + Tail(a, x, i, k);
    }

    // 8 output rows, one sample: 9 loads feed 8 independent FMA chains per vector of inputs.
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
        var kv = k - k % TOps.Count;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        for (var i = 0; i < kv; i += TOps.Count)
        {
            var xv = TOps.Load(x + i);
            a0 = TOps.MulAdd(TOps.Load(w0 + i), xv, a0);
            a1 = TOps.MulAdd(TOps.Load(w1 + i), xv, a1);
            a2 = TOps.MulAdd(TOps.Load(w2 + i), xv, a2);
            a3 = TOps.MulAdd(TOps.Load(w3 + i), xv, a3);
            a4 = TOps.MulAdd(TOps.Load(w4 + i), xv, a4);
            a5 = TOps.MulAdd(TOps.Load(w5 + i), xv, a5);
            a6 = TOps.MulAdd(TOps.Load(w6 + i), xv, a6);
            a7 = TOps.MulAdd(TOps.Load(w7 + i), xv, a7);
        }
        // Every accumulator is reduced before the tails' calls: a vector live across a call is spilled, and the JIT
        // then stores it inside the loop (the same holds in the blocks below).
        var lower = TOps.Sums(a0, a1, a2, a3) + Bias4(b);
        var upper = TOps.Sums(a4, a5, a6, a7) + Bias4(b is null ? null : b + 4);
        if (kv != k)
        {
            lower += Tails(w, k, x, kv);
            upper += Tails(w + 4 * k, k, x, kv);
        }
        Store4(lower, y, relu);
        Store4(upper, y + 4, relu);
    }

    // 4 output rows x 4 samples: 8 loads feed 16 FMAs per vector of inputs (FMA-bound, not load-bound).
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
        TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
        TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
        TVec a20 = TOps.Zero, a21 = TOps.Zero, a22 = TOps.Zero, a23 = TOps.Zero;
        TVec a30 = TOps.Zero, a31 = TOps.Zero, a32 = TOps.Zero, a33 = TOps.Zero;
        var kv = k - k % TOps.Count;
        for (var i = 0; i < kv; i += TOps.Count)
        {
            var v0 = TOps.Load(w0 + i);
            var v1 = TOps.Load(w1 + i);
            var v2 = TOps.Load(w2 + i);
            var v3 = TOps.Load(w3 + i);
            var u = TOps.Load(x0 + i);
            a00 = TOps.MulAdd(v0, u, a00);
            a01 = TOps.MulAdd(v1, u, a01);
            a02 = TOps.MulAdd(v2, u, a02);
            a03 = TOps.MulAdd(v3, u, a03);
            u = TOps.Load(x1 + i);
            a10 = TOps.MulAdd(v0, u, a10);
            a11 = TOps.MulAdd(v1, u, a11);
            a12 = TOps.MulAdd(v2, u, a12);
            a13 = TOps.MulAdd(v3, u, a13);
            u = TOps.Load(x2 + i);
            a20 = TOps.MulAdd(v0, u, a20);
            a21 = TOps.MulAdd(v1, u, a21);
            a22 = TOps.MulAdd(v2, u, a22);
            a23 = TOps.MulAdd(v3, u, a23);
            u = TOps.Load(x3 + i);
            a30 = TOps.MulAdd(v0, u, a30);
            a31 = TOps.MulAdd(v1, u, a31);
            a32 = TOps.MulAdd(v2, u, a32);
            a33 = TOps.MulAdd(v3, u, a33);
        }
        var bias = Bias4(b);
        var s0 = TOps.Sums(a00, a01, a02, a03) + bias;
        var s1 = TOps.Sums(a10, a11, a12, a13) + bias;
        var s2 = TOps.Sums(a20, a21, a22, a23) + bias;
        var s3 = TOps.Sums(a30, a31, a32, a33) + bias;
        if (kv != k)
        {
            s0 += Tails(w, k, x, kv);
            s1 += Tails(w, k, x + ldx, kv);
            s2 += Tails(w, k, x + 2 * ldx, kv);
            s3 += Tails(w, k, x + 3 * ldx, kv);
        }
        Store4(s0, y, relu);
        Store4(s1, y + ldy, relu);
        Store4(s2, y + 2 * ldy, relu);
        Store4(s3, y + 3 * ldy, relu);
    }

    // 4 output rows x 2 samples: 6 loads feed 8 FMAs per vector of inputs, in 13 registers.
    [SkipLocalsInit]
    private static void Block4x2(float* w, int k, float* x, int ldx, float* b, float* y, int ldy, bool relu)
    {
        var w0 = w;
        var w1 = w + k;
        var w2 = w + 2 * k;
        var w3 = w + 3 * k;
        var x0 = x;
        var x1 = x + ldx;
        TVec a00 = TOps.Zero, a01 = TOps.Zero, a02 = TOps.Zero, a03 = TOps.Zero;
        TVec a10 = TOps.Zero, a11 = TOps.Zero, a12 = TOps.Zero, a13 = TOps.Zero;
        var kv = k - k % TOps.Count;
        for (var i = 0; i < kv; i += TOps.Count)
        {
            var v0 = TOps.Load(w0 + i);
            var v1 = TOps.Load(w1 + i);
            var v2 = TOps.Load(w2 + i);
            var v3 = TOps.Load(w3 + i);
            var u = TOps.Load(x0 + i);
            a00 = TOps.MulAdd(v0, u, a00);
            a01 = TOps.MulAdd(v1, u, a01);
            a02 = TOps.MulAdd(v2, u, a02);
            a03 = TOps.MulAdd(v3, u, a03);
            u = TOps.Load(x1 + i);
            a10 = TOps.MulAdd(v0, u, a10);
            a11 = TOps.MulAdd(v1, u, a11);
            a12 = TOps.MulAdd(v2, u, a12);
            a13 = TOps.MulAdd(v3, u, a13);
        }
        var bias = Bias4(b);
        var s0 = TOps.Sums(a00, a01, a02, a03) + bias;
        var s1 = TOps.Sums(a10, a11, a12, a13) + bias;
        if (kv != k)
        {
            s0 += Tails(w, k, x, kv);
            s1 += Tails(w, k, x + ldx, kv);
        }
        Store4(s0, y, relu);
        Store4(s1, y + ldy, relu);
    }

    // 4 output rows x 1 sample (the batch's last samples).
    [SkipLocalsInit]
    private static void Block4x1(float* w, int k, float* x, float* b, float* y, bool relu)
    {
        var w0 = w;
        var w1 = w + k;
        var w2 = w + 2 * k;
        var w3 = w + 3 * k;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        var kv = k - k % TOps.Count;
        for (var i = 0; i < kv; i += TOps.Count)
        {
            var u = TOps.Load(x + i);
            a0 = TOps.MulAdd(TOps.Load(w0 + i), u, a0);
            a1 = TOps.MulAdd(TOps.Load(w1 + i), u, a1);
            a2 = TOps.MulAdd(TOps.Load(w2 + i), u, a2);
            a3 = TOps.MulAdd(TOps.Load(w3 + i), u, a3);
        }
        var sums = TOps.Sums(a0, a1, a2, a3) + Bias4(b);
        if (kv != k)
        {
            sums += Tails(w, k, x, kv);
        }
        Store4(sums, y, relu);
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
