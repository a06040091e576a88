using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// One sample's forward pass over a frozen model's column layouts (<see cref="PackedWeights.W0Columns"/>,
/// <see cref="PackedWeights.W1Columns"/>), in independent parts of the first layer's units and a short tail, with no
/// barrier between the first two layers.
/// </summary>
/// <remarks>
/// <para>Part <c>q</c> computes hidden units <c>h1[128q .. 128q + 127]</c> of the first Linear + ReLU, then, when a
/// hidden layer follows, those units' share of the second Linear for all its outputs (a partial sum). Each part needs
/// only its own <c>h1</c>, so the caller and the helper thread each run half of the parts without waiting for each
/// other; the caller then adds the partial sums, the bias and ReLU, and runs the remaining layers (the documented
/// model: Linear(512, 10)) on the row kernels. With only two Linear layers the parts write <c>h1</c> and the caller
/// runs the second.</para>
/// <para>Both layers are computed column by column (<c>y += x[i] * W[:, i]</c>), so an input that is exactly zero
/// skips its column: the background pixels of an image, and the hidden units that ReLU set to zero (about half),
/// whose rows of the second layer are never read. The result is the same sum in another order: equal to libtorch's
/// within float32 rounding.</para>
/// <para>Every other call walks each core's share of the weights in the opposite order (its parts, the two halves of
/// the first layer's inputs, the blocks of the second layer's outputs), so the blocks it read last, which are still in
/// its cache, come first (a core's share of the documented model, about 1 MB, does not quite fit its L2, and a cache
/// evicting the least recently used line would otherwise evict each block just before it is read again: measured
/// 5-10% faster on dense input). The pieces are computed into separate sums that are added in a fixed order, so the
/// result is the same, bit for bit, at every call.</para>
/// </remarks>
internal sealed unsafe class SingleImageJob : PhasedJob
{
    private const int PartUnits = PackedWeights.PartUnits;

    [ThreadStatic]
    private static SingleImageJob? _current;

    // The parts' partial sums of the second layer [parts][SecondOutputs], or the first layer's output [parts * 128].
    private float[] _partials = [];
    private float[] _hidden = [];
    private MlpPlan? _plan;
    private PackedWeights? _packed;
    private float* _x;
    private float* _p;
    private float* _h;
    // 0 or 1, flipped at every call: the order in which each core walks its share of the weights (see the remarks).
    private int _flip;

    /// <summary>The calling thread's job.</summary>
    public static SingleImageJob ForThisThread => _current ??= new SingleImageJob();

    public override int Phases => 1;

    public override int Chunks(int phase) => _packed!.Parts;

    /// <summary>Computes the logits <c>[Classes]</c> of one sample <c>[InputFeatures]</c> (the plan's
    /// <see cref="PackedWeights.HasColumns"/> must be true).</summary>
    public void Forward(MlpPlan plan, float* x, float* logits)
    {
        var packed = plan.Packed!;
        var second = plan.Layers[1];
        var partials = packed.PairsLayers ? packed.Parts * packed.SecondOutputs : 0;
        var hidden = packed.PairsLayers ? second.PaddedOut : packed.Parts * PartUnits;
        if (_partials.Length < partials)
        {
            _partials = GC.AllocateUninitializedArray<float>(partials, pinned: true);
        }
        if (_hidden.Length < hidden)
        {
            _hidden = GC.AllocateUninitializedArray<float>(hidden, pinned: true);
        }
        _plan = plan;
        _packed = packed;
        _x = x;
        _p = Pin(_partials);
        _h = Pin(_hidden);
        _flip ^= 1;
        try
        {
            HelperThread.Run(this);
        }
        finally
        {
            _plan = null;
            _packed = null;
            _x = null;
        }
        if (!packed.PairsLayers)
        {
            MlpForwardJob.ForThisThread.ForwardFrom(plan, 1, _h, packed.Parts * PartUnits, 1, logits, interleaved: true);
            return;
        }
        var b1 = packed.PaddedBias(1);
        for (var o = 0; o < second.PaddedOut; o += 16)
        {
            var sum = Vector512.Load(b1 + o);
            for (var q = 0; q < packed.Parts; q++)
            {
                sum += Vector512.Load(_p + (long)q * packed.SecondOutputs + o);
            }
            Vector512.Max(sum, Vector512<float>.Zero).Store(_h + o);
        }
        MlpForwardJob.ForThisThread.ForwardFrom(plan, 2, _h, second.PaddedOut, 1, logits, interleaved: true);
    }

    [SkipLocalsInit]
    public override void RunChunk(int phase, int chunk)
    {
        var packed = _packed!;
        var inputs = _plan!.InputFeatures;
        var part = Part(chunk, packed.Parts);
        var own = stackalloc float[PartUnits];
        var h1 = packed.PairsLayers ? own : _h + part * PartUnits;
        FirstLayer(packed.W0Columns + (long)part * inputs * PartUnits, packed.B0Parts + part * PartUnits, _x, inputs, h1, _flip);
        if (!packed.PairsLayers)
        {
            return;
        }
        var outputs = packed.SecondOutputs;
        var partial = _p + (long)part * outputs;
        var w1 = packed.W1Columns + (long)part * PartUnits * outputs;
        var blocks = (outputs + PackedWeights.BlockOutputs - 1) / PackedWeights.BlockOutputs;
        for (var k = 0; k < blocks; k++)
        {
            var start = (_flip == 0 ? k : blocks - 1 - k) * PackedWeights.BlockOutputs;
            var size = Math.Min(PackedWeights.BlockOutputs, outputs - start);
            if (size == PackedWeights.BlockOutputs)
            {
                SecondLayerBlock256(w1 + (long)start * PartUnits, h1, partial + start);
            }
            else
            {
                // A block of 128 outputs has the first layer's layout: [128 units][128 outputs].
                Columns(w1 + (long)start * PartUnits, h1, 0, PartUnits, null, partial + start);
            }
        }
    }

    // The part a claimed chunk computes: in order, or, every other call, each core's half of the parts reversed (the
    // helper thread gives the caller the first (parts + 1) / 2 chunks and itself the rest).
    private int Part(int chunk, int parts)
    {
        if (_flip == 0)
        {
            return chunk;
        }
        var half = (parts + 1) / 2;
        return chunk < half ? half - 1 - chunk : half + (parts - 1 - chunk);
    }

    // h1[0..128) = relu(b + sum over i of x[i] * w[i, 0..128)), w laid out [inputs][128]: two sums over the two
    // halves of the inputs, added in a fixed order whichever half runs first.
    [SkipLocalsInit]
    private static void FirstLayer(float* w, float* b, float* x, int inputs, float* h1, int flip)
    {
        var half = inputs / 2;
        var lower = stackalloc float[PartUnits];
        var upper = stackalloc float[PartUnits];
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
        for (var k = 0; k < PartUnits; k += 16)
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
        w += (long)i0 * PartUnits;
        for (var i = i0; i < i1; i++, w += PartUnits)
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
    private static void SecondLayerBlock256(float* w, float* h1, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (var j = 0; j < PartUnits; j++, w += PackedWeights.BlockOutputs)
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

    private static float* Pin(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
