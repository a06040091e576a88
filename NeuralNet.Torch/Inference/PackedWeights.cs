using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// A <see cref="FrozenModel"/>'s extra layouts of its weights, in pinned managed arrays copied once when it is made:
/// the hidden layers' rows interleaved 8 at a time (<see cref="DenseKernels.Interleave"/>) so each block streams
/// sequentially (batches of 2 and 3), and the first two layers by columns for <see cref="SingleImageJob"/> (one image)
/// when their weights are finite. Every layout follows the process's SIMD width (<see cref="DenseKernels.Lanes"/>).
/// </summary>
/// <remarks>
/// <para>Every layout is padded with zeros to whole blocks (16 inputs, 16 outputs; <see cref="PartUnits"/> units per
/// part of the first layer), so any widths run on the same kernels; zero weights and zero biases make the padded units
/// exactly 0 after ReLU, so they add nothing to the next layer.</para>
/// <para>The column layouts, with <c>P</c> = <see cref="PartUnits"/>: the first layer's units are split in parts of
/// <c>P</c>; part <c>q</c> holds <c>W0[Pq + r, i]</c> at <c>(q * in + i) * P + r</c>. When a hidden layer follows
/// (three or more Linear layers), part <c>q</c> of the second layer holds, for each block of up to
/// <see cref="BlockOutputs"/> of its outputs starting at <c>s</c>, <c>W1[s + o, Pq + j]</c> at
/// <c>q * P * SecondOutputs + s * P + j * blockSize + o</c>.</para>
/// </remarks>
internal sealed unsafe class PackedWeights
{
    /// <summary>Hidden units per part of the single-image path: 8 vectors, the accumulators of one pass over the
    /// inputs (128 with AVX-512, 64 with AVX2, 32 at 128 bits).</summary>
    public static int PartUnits => 8 * DenseKernels.Lanes;

    /// <summary>The most outputs of the second layer one block of the single-image path covers: 16 vectors where 32
    /// registers hold them (AVX-512), else 8.</summary>
    public static int BlockOutputs => DenseKernels.Lanes == 16 ? 2 * PartUnits : PartUnits;

    private readonly float[][] _interleaved;
    private readonly float[][] _paddedBias;
    private readonly IntPtr[] _interleavedPointers;
    private readonly IntPtr[] _biasPointers;
    private readonly float[]? _w0Columns;
    private readonly float[]? _b0Parts;
    private readonly float[]? _w1Columns;

    /// <summary>Copies the layouts from <paramref name="plan"/>'s row-major weights.</summary>
    public PackedWeights(MlpPlan plan)
    {
        var layers = plan.Layers;
        var hidden = layers.Length - 1;
        _interleaved = new float[hidden][];
        _paddedBias = new float[hidden][];
        _interleavedPointers = new IntPtr[hidden];
        _biasPointers = new IntPtr[hidden];
        for (var l = 0; l < hidden; l++)
        {
            var layer = layers[l];
            _interleaved[l] = GC.AllocateUninitializedArray<float>(layer.PaddedOut * layer.PaddedIn, pinned: true);
            DenseKernels.Interleave(Rows(layer), layer.Out, layer.In, layer.PaddedOut, layer.PaddedIn, _interleaved[l]);
            _paddedBias[l] = GC.AllocateArray<float>(layer.PaddedOut, pinned: true);
            if (layer.Bias is not null)
            {
                new ReadOnlySpan<float>(layer.Bias, layer.Out).CopyTo(_paddedBias[l]);
            }
            _interleavedPointers[l] = (IntPtr)Pin(_interleaved[l]);
            _biasPointers[l] = (IntPtr)Pin(_paddedBias[l]);
        }
        // The single-image path skips the columns of zero inputs, which equals libtorch only if 0 * w is 0: finite weights.
        if (hidden == 0 || NonFinite.Count(Rows(layers[0])) != 0
            || (hidden >= 2 && NonFinite.Count(Rows(layers[1])) != 0))
        {
            return;
        }
        var first = layers[0];
        Parts = (first.Out + PartUnits - 1) / PartUnits;
        _w0Columns = GC.AllocateArray<float>(Parts * first.In * PartUnits, pinned: true);
        _b0Parts = GC.AllocateArray<float>(Parts * PartUnits, pinned: true);
        FirstLayerColumns(first, _w0Columns, _b0Parts);
        W0Columns = (float*)Pin(_w0Columns);
        B0Parts = (float*)Pin(_b0Parts);
        if (hidden >= 2)
        {
            var second = layers[1];
            SecondOutputs = (second.Out + PartUnits - 1) / PartUnits * PartUnits;
            _w1Columns = GC.AllocateArray<float>(Parts * PartUnits * SecondOutputs, pinned: true);
            SecondLayerColumns(second, Parts, SecondOutputs, _w1Columns);
            W1Columns = (float*)Pin(_w1Columns);
        }
    }

    /// <summary>Hidden layer <paramref name="layer"/>'s weight in <see cref="DenseKernels.Interleave"/>'s layout,
    /// <c>[PaddedOut x PaddedIn]</c>.</summary>
    public float* Interleaved(int layer) => (float*)_interleavedPointers[layer];

    /// <summary>Hidden layer <paramref name="layer"/>'s bias padded with zeros to <c>PaddedOut</c>.</summary>
    public float* PaddedBias(int layer) => (float*)_biasPointers[layer];

    /// <summary>Whether the column layouts for <see cref="SingleImageJob"/> exist (two or more layers, first weights finite).</summary>
    public bool HasColumns => _w0Columns is not null;

    /// <summary>The number of parts of <see cref="PartUnits"/> units the first layer is split into.</summary>
    public int Parts { get; }

    /// <summary>The first layer by columns, per part (see the remarks).</summary>
    public float* W0Columns { get; }

    /// <summary>The first layer's bias padded with zeros to <c>Parts * PartUnits</c>.</summary>
    public float* B0Parts { get; }

    /// <summary>True when a hidden layer follows the first (three or more layers): each part then also computes its
    /// units' share of the second layer.</summary>
    public bool PairsLayers => _w1Columns is not null;

    /// <summary>The second layer by columns, per part and block of outputs (see the remarks); null unless <see cref="PairsLayers"/>.</summary>
    public float* W1Columns { get; }

    /// <summary>The second layer's outputs rounded up to a multiple of <see cref="PartUnits"/> (the partial sums' width).</summary>
    public int SecondOutputs { get; }

    /// <summary>Whether a batch of <paramref name="n"/> gains from the interleaved layout: the interleaved blocks win
    /// where the weights' bandwidth is the limit (1 to 3 images); from 4 images on, the row-major register blocks reuse
    /// each weight load for more samples (benchmarks/README.md).</summary>
    public static bool Helps(long n) => n <= 3;

    private static ReadOnlySpan<float> Rows(DenseLayer layer) => new(layer.Weight, layer.Out * layer.In);

    private static void FirstLayerColumns(DenseLayer layer, Span<float> columns, Span<float> bias)
    {
        var w = Rows(layer);
        var partUnits = PartUnits;
        for (var unit = 0; unit < layer.Out; unit++)
        {
            var (q, r) = Math.DivRem(unit, partUnits);
            for (var i = 0; i < layer.In; i++)
            {
                columns[(q * layer.In + i) * partUnits + r] = w[unit * layer.In + i];
            }
            bias[unit] = layer.Bias is null ? 0f : layer.Bias[unit];
        }
    }

    private static void SecondLayerColumns(DenseLayer layer, int parts, int outputs, Span<float> columns)
    {
        var w = Rows(layer);
        var (partUnits, blockOutputs) = (PartUnits, BlockOutputs);
        for (var q = 0; q < parts; q++)
        {
            var part = q * partUnits * outputs;
            for (var start = 0; start < outputs; start += blockOutputs)
            {
                var size = Math.Min(blockOutputs, outputs - start);
                for (var j = 0; j < partUnits && q * partUnits + j < layer.In; j++)
                {
                    for (var o = 0; o < size && start + o < layer.Out; o++)
                    {
                        columns[part + start * partUnits + j * size + o] = w[(start + o) * layer.In + q * partUnits + j];
                    }
                }
            }
        }
    }

    private static void* Pin(float[] array) => Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
