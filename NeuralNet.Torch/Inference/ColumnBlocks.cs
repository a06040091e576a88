using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// <see cref="SingleImageJob"/>'s kernels at one SIMD width (<typeparamref name="TOps"/>): one sample through the
/// first two layers stored by columns (<see cref="PackedWeights.W0Columns"/>, <see cref="PackedWeights.W1Columns"/>),
/// <c>y += x[i] * W[:, i]</c>, skipping the columns of inputs that are exactly zero.
/// </summary>
internal static unsafe class ColumnBlocks<TOps, TVec>
    where TOps : struct, IVectorOps<TVec>
    where TVec : struct
{
    // Eight vectors of accumulators: one part's units, or one block of the second layer's outputs.
    private static int Units => 8 * TOps.Count;

    /// <summary>Part <paramref name="part"/> of one sample <paramref name="x"/>: its units of the first layer + ReLU,
    /// then, when a hidden layer follows, their share of the second layer into the partial sums <paramref name="p"/>
    /// (<c>[Parts][SecondOutputs]</c>); else the units into <paramref name="h"/>.</summary>
    [SkipLocalsInit]
    public static void Part(PackedWeights packed, int inputs, float* x, float* h, float* p, int part, int flip)
    {
        var own = stackalloc float[Units];
        var h1 = packed.PairsLayers ? own : h + part * Units;
        FirstLayer(packed.W0Columns + (long)part * inputs * Units, packed.B0Parts + part * Units, x, inputs, h1, flip);
        if (!packed.PairsLayers)
        {
            return;
        }
        var outputs = packed.SecondOutputs;
        var partial = p + (long)part * outputs;
        var w1 = packed.W1Columns + (long)part * Units * outputs;
        var blockOutputs = PackedWeights.BlockOutputs;
        var blocks = (outputs + blockOutputs - 1) / blockOutputs;
        for (var k = 0; k < blocks; k++)
        {
            var start = (flip == 0 ? k : blocks - 1 - k) * blockOutputs;
            if (Math.Min(blockOutputs, outputs - start) == 2 * Units)
            {
                SecondLayerBlock16(w1 + (long)start * Units, h1, partial + start);
            }
            else
            {
                // A block of Units outputs has the first layer's layout: [Units units][Units outputs].
                Columns(w1 + (long)start * Units, h1, 0, Units, null, partial + start);
            }
        }
    }

    /// <summary><c>h[o] = relu(b1[o] + sum over parts of p[q, o])</c> for the second layer's <paramref name="width"/>
    /// outputs (a multiple of 16).</summary>
    public static void AddPartials(PackedWeights packed, int width, float* p, float* h)
    {
        var b1 = packed.PaddedBias(1);
        for (var o = 0; o < width; o += TOps.Count)
        {
            var sum = TOps.Load(b1 + o);
            for (var q = 0; q < packed.Parts; q++)
            {
                sum = TOps.Add(sum, TOps.Load(p + (long)q * packed.SecondOutputs + o));
            }
            TOps.Store(TOps.Relu(sum), h + o);
        }
    }

    // h1[0..Units) = relu(b + sum over i of x[i] * w[i, 0..Units)), w laid out [inputs][Units]: two sums over the two
    // halves of the inputs, added in a fixed order whichever half runs first.
    [SkipLocalsInit]
    private static void FirstLayer(float* w, float* b, float* x, int inputs, float* h1, int flip)
    {
        var half = inputs / 2;
        var lower = stackalloc float[Units];
        var upper = stackalloc float[Units];
        if (flip == 0)
        {
            Columns(w, x, 0, half, b, lower);
            Columns(w, x, half, inputs, null, upper);
        }
        else
        {
            Columns(w, x, half, inputs, null, upper);
            Columns(w, x, 0, half, b, lower);
        }
        for (var k = 0; k < Units; k += TOps.Count)
        {
            TOps.Store(TOps.Relu(TOps.Add(TOps.Load(lower + k), TOps.Load(upper + k))), h1 + k);
        }
    }

    // y[0..Units) = init + sum over i in [i0, i1) of x[i] * w[i, 0..Units) (init null: 0); zero inputs skip their column.
    [SkipLocalsInit]
    private static void Columns(float* w, float* x, int i0, int i1, float* init, float* y)
    {
        var c = TOps.Count;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        if (init != null)
        {
            a0 = TOps.Load(init);
            a1 = TOps.Load(init + c);
            a2 = TOps.Load(init + 2 * c);
            a3 = TOps.Load(init + 3 * c);
            a4 = TOps.Load(init + 4 * c);
            a5 = TOps.Load(init + 5 * c);
            a6 = TOps.Load(init + 6 * c);
            a7 = TOps.Load(init + 7 * c);
        }
        w += (long)i0 * Units;
        for (var i = i0; i < i1; i++, w += 8 * c)
        {
            var xi = x[i];
            if (xi == 0f)
            {
                continue;
            }
            var v = TOps.Splat(xi);
            a0 = TOps.MulAdd(TOps.Load(w), v, a0);
            a1 = TOps.MulAdd(TOps.Load(w + c), v, a1);
            a2 = TOps.MulAdd(TOps.Load(w + 2 * c), v, a2);
            a3 = TOps.MulAdd(TOps.Load(w + 3 * c), v, a3);
            a4 = TOps.MulAdd(TOps.Load(w + 4 * c), v, a4);
            a5 = TOps.MulAdd(TOps.Load(w + 5 * c), v, a5);
            a6 = TOps.MulAdd(TOps.Load(w + 6 * c), v, a6);
            a7 = TOps.MulAdd(TOps.Load(w + 7 * c), v, a7);
        }
        TOps.Store(a0, y);
        TOps.Store(a1, y + c);
        TOps.Store(a2, y + 2 * c);
        TOps.Store(a3, y + 3 * c);
        TOps.Store(a4, y + 4 * c);
        TOps.Store(a5, y + 5 * c);
        TOps.Store(a6, y + 6 * c);
        TOps.Store(a7, y + 7 * c);
    }

    // y[0..2 Units) = sum over j of h1[j] * w[j, 0..2 Units), w laid out [Units][2 Units]; the rows of zero units are
    // skipped. Sixteen accumulators: used only where 32 registers hold them (PackedWeights.BlockOutputs).
    [SkipLocalsInit]
    private static void SecondLayerBlock16(float* w, float* h1, float* y)
    {
        var c = TOps.Count;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero, a4 = TOps.Zero, a5 = TOps.Zero, a6 = TOps.Zero, a7 = TOps.Zero;
        TVec c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero, c6 = TOps.Zero, c7 = TOps.Zero;
        for (var j = 0; j < Units; j++, w += 16 * c)
        {
            var hj = h1[j];
            if (hj == 0f)
            {
                continue;
            }
            var v = TOps.Splat(hj);
            a0 = TOps.MulAdd(TOps.Load(w), v, a0);
            a1 = TOps.MulAdd(TOps.Load(w + c), v, a1);
            a2 = TOps.MulAdd(TOps.Load(w + 2 * c), v, a2);
            a3 = TOps.MulAdd(TOps.Load(w + 3 * c), v, a3);
            a4 = TOps.MulAdd(TOps.Load(w + 4 * c), v, a4);
            a5 = TOps.MulAdd(TOps.Load(w + 5 * c), v, a5);
            a6 = TOps.MulAdd(TOps.Load(w + 6 * c), v, a6);
            a7 = TOps.MulAdd(TOps.Load(w + 7 * c), v, a7);
            c0 = TOps.MulAdd(TOps.Load(w + 8 * c), v, c0);
            c1 = TOps.MulAdd(TOps.Load(w + 9 * c), v, c1);
            c2 = TOps.MulAdd(TOps.Load(w + 10 * c), v, c2);
            c3 = TOps.MulAdd(TOps.Load(w + 11 * c), v, c3);
            c4 = TOps.MulAdd(TOps.Load(w + 12 * c), v, c4);
            c5 = TOps.MulAdd(TOps.Load(w + 13 * c), v, c5);
            c6 = TOps.MulAdd(TOps.Load(w + 14 * c), v, c6);
            c7 = TOps.MulAdd(TOps.Load(w + 15 * c), v, c7);
        }
        TOps.Store(a0, y);
        TOps.Store(a1, y + c);
        TOps.Store(a2, y + 2 * c);
        TOps.Store(a3, y + 3 * c);
        TOps.Store(a4, y + 4 * c);
        TOps.Store(a5, y + 5 * c);
        TOps.Store(a6, y + 6 * c);
        TOps.Store(a7, y + 7 * c);
        TOps.Store(c0, y + 8 * c);
        TOps.Store(c1, y + 9 * c);
        TOps.Store(c2, y + 10 * c);
        TOps.Store(c3, y + 11 * c);
        TOps.Store(c4, y + 12 * c);
        TOps.Store(c5, y + 13 * c);
        TOps.Store(c6, y + 14 * c);
        TOps.Store(c7, y + 15 * c);
    }
}
