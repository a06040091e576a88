using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Benchmarks;

internal static unsafe class KernelExperiment
{
    public static int Run(string[] args)
    {
        const int K = 784;
        foreach (var rows in new[] { 32, 256, 512 })
        {
            var w = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rows * K * 4), 64);
            var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(rows * K * 4), 64);
            for (var i = 0; i < rows * K; i++) { w[i] = (i % 7) * 0.01f; }
            // interleaved: for each block of 8 rows, for each k-chunk, 8 x 16 floats
            for (var b = 0; b < rows / 8; b++)
                for (var c = 0; c < K / 16; c++)
                    for (var r = 0; r < 8; r++)
                        for (var j = 0; j < 16; j++)
                            p[((b * (K / 16) + c) * 8 + r) * 16 + j] = w[(b * 8 + r) * K + c * 16 + j];
            var x = new float[K];
            var y = new float[rows];
            for (var i = 0; i < K; i++) x[i] = i * 0.001f;
            fixed (float* xp = x, yp = y)
            {
                var reps = 200_000 / rows * 8;
                for (var variant = 0; variant < 4; variant++)
                {
                    var best = double.MaxValue;
                    for (var round = 0; round < 5; round++)
                    {
                        var sw = Stopwatch.StartNew();
                        for (var rep = 0; rep < reps; rep++)
                        {
                            for (var b = 0; b < rows; b += 8)
                            {
                                if (variant == 0) RowMajor(w + b * K, K, xp, yp + b);
                                else if (variant == 1) Interleaved(p + b * K, K, xp, yp + b);
                                else if (variant == 2) { Rows4x2(w + b * K, K, xp, yp + b); Rows4x2(w + (b + 4) * K, K, xp, yp + b + 4); }
                                else { Rows2x4(w + b * K, K, xp, yp + b); Rows2x4(w + (b + 2) * K, K, xp, yp + b + 2); Rows2x4(w + (b + 4) * K, K, xp, yp + b + 4); Rows2x4(w + (b + 6) * K, K, xp, yp + b + 6); }
                            }
                        }
                        best = Math.Min(best, sw.Elapsed.TotalMicroseconds / reps);
                    }
                    Console.WriteLine($"rows {rows} ({rows * K * 4 / 1024} KB) {new[] { "row-major 8 rows", "interleaved", "row-major 4x2", "row-major 2x4" }[variant]}: {best:F2} us, {rows * K * 4 / best / 1000:F1} GB/s");
                }
            }
        }
        return 0;
    }

    private static void RowMajor(float* w, int k, float* x, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (var i = 0; i < k; i += 16)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * k + i), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * k + i), xv, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 4 * k + i), xv, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 5 * k + i), xv, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 6 * k + i), xv, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 7 * k + i), xv, a7);
        }
        y[0] = Vector512.Sum(a0); y[1] = Vector512.Sum(a1); y[2] = Vector512.Sum(a2); y[3] = Vector512.Sum(a3);
        y[4] = Vector512.Sum(a4); y[5] = Vector512.Sum(a5); y[6] = Vector512.Sum(a6); y[7] = Vector512.Sum(a7);
    }

    private static void Rows4x2(float* w, int k, float* x, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        var i = 0;
        for (; i + 32 <= k; i += 32)
        {
            var xv = Vector512.Load(x + i);
            var xw = Vector512.Load(x + i + 16);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), xv, a0);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 16), xw, b0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i), xv, a1);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i + 16), xw, b1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * k + i), xv, a2);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * k + i + 16), xw, b2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * k + i), xv, a3);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * k + i + 16), xw, b3);
        }
        for (; i < k; i += 16)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * k + i), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * k + i), xv, a3);
        }
        y[0] = Vector512.Sum(a0 + b0); y[1] = Vector512.Sum(a1 + b1); y[2] = Vector512.Sum(a2 + b2); y[3] = Vector512.Sum(a3 + b3);
    }

    private static void Rows2x4(float* w, int k, float* x, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        var i = 0;
        for (; i + 64 <= k; i += 64)
        {
            var x0 = Vector512.Load(x + i);
            var x1 = Vector512.Load(x + i + 16);
            var x2 = Vector512.Load(x + i + 32);
            var x3 = Vector512.Load(x + i + 48);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), x0, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 16), x1, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 32), x2, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 48), x3, a3);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i), x0, b0);
            b1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i + 16), x1, b1);
            b2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i + 32), x2, b2);
            b3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i + 48), x3, b3);
        }
        for (; i < k; i += 16)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), xv, a0);
            b0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + k + i), xv, b0);
        }
        y[0] = Vector512.Sum(a0 + a1 + a2 + a3); y[1] = Vector512.Sum(b0 + b1 + b2 + b3);
    }

    private static void Interleaved(float* w, int k, float* x, float* y)
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
        y[0] = Vector512.Sum(a0); y[1] = Vector512.Sum(a1); y[2] = Vector512.Sum(a2); y[3] = Vector512.Sum(a3);
        y[4] = Vector512.Sum(a4); y[5] = Vector512.Sum(a5); y[6] = Vector512.Sum(a6); y[7] = Vector512.Sum(a7);
    }
}
