using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>Counts NaN and infinite input values, the check every prediction path makes before computing.</summary>
internal static unsafe class NonFinite
{
    /// <summary>The number of NaN or infinite values.</summary>
    public static long Count(ReadOnlySpan<float> values)
    {
        // x - x is 0 for finite x and NaN for NaN or +-infinity: one vectorised pass (four independent sums, so it runs
        // at the memory's speed, not the adder's latency), then a count only if needed.
        var i = 0;
        var bad = false;
        fixed (float* p = values)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 64 <= values.Length; i += 64)
                {
                    var v0 = Vector512.Load(p + i);
                    var v1 = Vector512.Load(p + i + 16);
                    var v2 = Vector512.Load(p + i + 32);
                    var v3 = Vector512.Load(p + i + 48);
                    a0 += v0 - v0;
                    a1 += v1 - v1;
                    a2 += v2 - v2;
                    a3 += v3 - v3;
                }
                bad = !Vector512.EqualsAll(a0 + a1 + a2 + a3, Vector512<float>.Zero);
            }
            else
            {
                // Vector<float> is the widest accelerated below 512 bits: 256 with AVX2, 128 with SSE or NEON.
                var n = Vector<float>.Count;
                Vector<float> a0 = default, a1 = default;
                for (; i + 2 * n <= values.Length; i += 2 * n)
                {
                    var v0 = Vector.Load(p + i);
                    var v1 = Vector.Load(p + i + n);
                    a0 += v0 - v0;
                    a1 += v1 - v1;
                }
                bad = !Vector.EqualsAll(a0 + a1, Vector<float>.Zero);
            }
        }
        for (; i < values.Length; i++)
        {
            bad |= !float.IsFinite(values[i]);
        }
        if (!bad)
        {
            return 0;
        }
        long count = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The number of NaN or infinite bfloat16 values (given as their bits): exponent all ones.</summary>
    /// <remarks>A finite float32 value beyond bfloat16's largest (about 3.39e38) has become infinite by then, and is
    /// counted: such a pixel cannot be computed in bfloat16.</remarks>
    public static long CountBFloat16(ReadOnlySpan<ushort> bits)
    {
        const ushort exponent = 0x7F80;
        var i = 0;
        var bad = false;
        fixed (ushort* p = bits)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var mask = Vector512.Create(exponent);
                Vector512<ushort> a0 = default, a1 = default;
                for (; i + 64 <= bits.Length; i += 64)
                {
                    a0 = Vector512.Max(a0, Vector512.Load(p + i) & mask);
                    a1 = Vector512.Max(a1, Vector512.Load(p + i + 32) & mask);
                }
                bad = Vector512.EqualsAny(Vector512.Max(a0, a1), mask);
            }
        }
        for (; i < bits.Length; i++)
        {
            bad |= (bits[i] & exponent) == exponent;
        }
        if (!bad)
        {
            return 0;
        }
        long count = 0;
        foreach (var b in bits)
        {
            if ((b & exponent) == exponent)
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The exception for <paramref name="count"/> non-finite values: "Expected finite
    /// <paramref name="noun"/> values; found ...".</summary>
    public static ArgumentException Error(long count, string paramName, string noun) =>
        new($"Expected finite {noun} values; found {count} NaN or infinite value(s) in the input.", paramName);

    /// <summary>The number of NaN or infinite values of a floating-point tensor: float32 or bfloat16 on the CPU in one
    /// managed SIMD pass on this thread (no temporaries; a second thread here would compete with libtorch's own
    /// threads that start next), anything else by libtorch.</summary>
    public static long Count(Tensor input)
    {
        if (input.device_type == DeviceType.CPU && input.is_contiguous())
        {
            if (input.dtype == ScalarType.Float32)
            {
                return Count(MemoryMarshal.Cast<byte, float>(input.bytes));
            }
            if (input.dtype == ScalarType.BFloat16)
            {
                return CountBFloat16(MemoryMarshal.Cast<byte, ushort>(input.bytes));
            }
        }
        using var finite = isfinite(input);
        using var notFinite = logical_not(finite);
        using var sum = notFinite.sum();
        return sum.item<long>();
    }
}
