using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// One image's forward pass over a frozen model's column snapshot (<see cref="PackedWeights.W0Columns"/>,
/// <see cref="PackedWeights.W1Columns"/>), in four independent quarters and a short tail, with no barrier between
/// the hidden layers.
/// </summary>
/// <remarks>
/// <para>Quarter <c>q</c> computes hidden units <c>h1[128q .. 128q + 127]</c> of Linear(784, 512) + ReLU, then those
/// units' share of Linear(512, 512) for all 512 outputs (a partial sum). Each quarter needs only its own
/// <c>h1</c>, so the caller and the helper thread each run two quarters without waiting for each other; the caller
/// then adds the four partial sums, the bias and ReLU, and runs the last Linear(512, 10) itself.</para>
/// <para>Both layers are computed column by column (<c>y += x[i] * W[:, i]</c>), so an input that is exactly zero
/// skips its column: the background pixels of an image, and the hidden units that ReLU set to zero (about half),
/// whose rows of the second layer are never read. The result is the same sum in another order: equal to libtorch's
/// within float32 rounding.</para>
/// <para>Every other call walks each core's share of the weights in the opposite order (its two quarters, the two
/// halves of the first layer's inputs, the two halves of the second layer's outputs), so the blocks it read last, which
/// are still in its cache, come first (a core's share, about 1 MB, does not quite fit its L2, and a cache evicting
/// the least recently used line would otherwise evict each block just before it is read again: measured 5-10% faster
/// on dense input). The pieces are computed into separate sums that are added in a fixed order, so the result is the
/// same, bit for bit, at every call.</para>
/// </remarks>
internal sealed unsafe class SingleImageJob : PhasedJob
{
    public const int Quarters = 4;
    private const int QuarterRows = NeuralNetwork.HiddenFeatures / Quarters;
    private const int HalfOutputs = NeuralNetwork.HiddenFeatures / 2;

    [ThreadStatic]
    private static SingleImageJob? _current;

    // Four partial sums of the second layer, [4][512].
    private readonly float[] _partials = GC.AllocateUninitializedArray<float>(Quarters * NeuralNetwork.HiddenFeatures, pinned: true);
    private readonly float[] _hidden2 = GC.AllocateUninitializedArray<float>(NeuralNetwork.HiddenFeatures, pinned: true);
    private PackedWeights? _weights;
    private float* _x;
    // 0 or 1, flipped at every call: the order in which each core walks its share of the weights (see the remarks).
    private int _flip;

    /// <summary>The calling thread's job.</summary>
    public static SingleImageJob ForThisThread => _current ??= new SingleImageJob();

    public override int Phases => 1;

    public override int Chunks(int phase) => Quarters;

    /// <summary>Computes the logits <c>[10]</c> of one image <c>[784]</c>.</summary>
    public void Forward(PackedWeights weights, float* x, float* logits)
    {
        _weights = weights;
        _x = x;
        _flip ^= 1;
        try
        {
            HelperThread.Run(this);
        }
        finally
        {
            _weights = null;
            _x = null;
        }
        fixed (float* p = _partials, h2 = _hidden2)
        {
            var b1 = weights.Weights.B1;
            for (var o = 0; o < NeuralNetwork.HiddenFeatures; o += 16)
            {
                const int h = NeuralNetwork.HiddenFeatures;
                var sum = Vector512.Load(b1 + o) + Vector512.Load(p + o) + Vector512.Load(p + h + o)
                    + Vector512.Load(p + 2 * h + o) + Vector512.Load(p + 3 * h + o);
                Vector512.Max(sum, Vector512<float>.Zero).Store(h2 + o);
            }
            var w = weights.Weights;
            DenseKernels.Dense(w.W2, w.B2, NeuralNetwork.HiddenFeatures, h2, NeuralNetwork.HiddenFeatures,
                logits, NeuralNetwork.OutputFeatures, 1, 0, NeuralNetwork.OutputFeatures, w.FinalRelu);
        }
    }

    public override void RunChunk(int phase, int chunk)
    {
        var weights = _weights!;
        chunk ^= _flip;
        var h1 = stackalloc float[QuarterRows];
        FirstLayer(weights.W0Columns + (long)chunk * NeuralNetwork.InputFeatures * QuarterRows, weights.Weights.B0 + chunk * QuarterRows, _x, h1, _flip);
        fixed (float* p = _partials)
        {
            var partial = p + chunk * NeuralNetwork.HiddenFeatures;
            var w1 = weights.W1Columns + (long)chunk * QuarterRows * NeuralNetwork.HiddenFeatures;
            if (_flip == 0)
            {
                SecondLayerHalf(w1, h1, partial);
                SecondLayerHalf(w1 + QuarterRows * HalfOutputs, h1, partial + HalfOutputs);
            }
            else
            {
                SecondLayerHalf(w1 + QuarterRows * HalfOutputs, h1, partial + HalfOutputs);
                SecondLayerHalf(w1, h1, partial);
            }
        }
    }

    // h1[0..128) = relu(b + sum over i of x[i] * w[i, 0..128)), w laid out [784][128]: two sums over the two halves
    // of the inputs, added in a fixed order whichever half runs first.
    [SkipLocalsInit]
    private static void FirstLayer(float* w, float* b, float* x, float* h1, int flip)
    {
        const int half = NeuralNetwork.InputFeatures / 2;
        var lower = stackalloc float[QuarterRows];
        var upper = stackalloc float[QuarterRows];
        if (flip == 0)
        {
            Columns(w, x, 0, half, b, lower);
            Columns(w, x, half, NeuralNetwork.InputFeatures, null, upper);
        }
        else
        {
            Columns(w, x, half, NeuralNetwork.InputFeatures, null, upper);
            Columns(w, x, 0, half, b, lower);
        }
        for (var k = 0; k < QuarterRows; k += 16)
        {
            Vector512.Max(Vector512.Load(lower + k) + Vector512.Load(upper + k), Vector512<float>.Zero).Store(h1 + k);
        }
    }

    // y[0..128) = init + sum over i in [i0, i1) of x[i] * w[i, 0..128) (init null: 0); zero inputs skip their column.
    [SkipLocalsInit]
    private static void Columns(float* w, float* x, int i0, int i1, float* init, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        if (init != null)
        {
            a0 = Vector512.Load(init);
            a1 = Vector512.Load(init + 16);
            a2 = Vector512.Load(init + 32);
            a3 = Vector512.Load(init + 48);
            a4 = Vector512.Load(init + 64);
            a5 = Vector512.Load(init + 80);
            a6 = Vector512.Load(init + 96);
            a7 = Vector512.Load(init + 112);
        }
        w += (long)i0 * QuarterRows;
        for (var i = i0; i < i1; i++, w += QuarterRows)
        {
            var xi = x[i];
            if (xi == 0f)
            {
                continue;
            }
            var v = Vector512.Create(xi);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 32), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 48), v, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 64), v, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 80), v, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 96), v, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 112), v, a7);
        }
        a0.Store(y);
        a1.Store(y + 16);
        a2.Store(y + 32);
        a3.Store(y + 48);
        a4.Store(y + 64);
        a5.Store(y + 80);
        a6.Store(y + 96);
        a7.Store(y + 112);
    }

    // y[0..256) = sum over j of h1[j] * w[j, 0..256), w laid out [128][256]; the rows of zero units are skipped.
    [SkipLocalsInit]
    private static void SecondLayerHalf(float* w, float* h1, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (var j = 0; j < QuarterRows; j++, w += HalfOutputs)
        {
            var hj = h1[j];
            if (hj == 0f)
            {
                continue;
            }
            var v = Vector512.Create(hj);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), v, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 16), v, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 32), v, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 48), v, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 64), v, a4);
            a5 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 80), v, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 96), v, a6);
            a7 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 112), v, a7);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 128), v, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 144), v, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 160), v, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 176), v, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 192), v, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 208), v, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 224), v, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 240), v, c7);
        }
        a0.Store(y);
        a1.Store(y + 16);
        a2.Store(y + 32);
        a3.Store(y + 48);
        a4.Store(y + 64);
        a5.Store(y + 80);
        a6.Store(y + 96);
        a7.Store(y + 112);
        c0.Store(y + 128);
        c1.Store(y + 144);
        c2.Store(y + 160);
        c3.Store(y + 176);
        c4.Store(y + 192);
        c5.Store(y + 208);
        c6.Store(y + 224);
        c7.Store(y + 240);
    }
}
