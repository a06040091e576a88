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
/// <para>Part <c>q</c> computes hidden units <c>h1[Pq .. Pq + P - 1]</c> (<c>P</c> = <see cref="PackedWeights.PartUnits"/>)
/// of the first Linear + ReLU, then, when a
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
/// its cache, come first (a core's share of the documented model, about 1 MB, may not quite fit its L2, and a cache
/// evicting the least recently used line would otherwise evict each block just before it is read again). The pieces are computed into separate sums that are added in a fixed order, so the
/// result is the same, bit for bit, at every call.</para>
/// </remarks>
internal sealed unsafe class SingleImageJob : PhasedJob
{
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
        var hidden = packed.PairsLayers ? second.PaddedOut : packed.Parts * PackedWeights.PartUnits;
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
            MlpForwardJob.ForThisThread.ForwardFrom(plan, 1, _h, packed.Parts * PackedWeights.PartUnits, 1, logits, interleaved: true);
            return;
        }
        if (Vector512.IsHardwareAccelerated)
        {
            ColumnBlocks<Vector512Ops, Vector512<float>>.AddPartials(packed, second.PaddedOut, _p, _h);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ColumnBlocks<Vector256Ops, Vector256<float>>.AddPartials(packed, second.PaddedOut, _p, _h);
        }
        else
        {
            ColumnBlocks<Vector128Ops, Vector128<float>>.AddPartials(packed, second.PaddedOut, _p, _h);
        }
        MlpForwardJob.ForThisThread.ForwardFrom(plan, 2, _h, second.PaddedOut, 1, logits, interleaved: true);
    }

    public override void RunChunk(int phase, int chunk)
    {
        var part = Part(chunk, _packed!.Parts);
        if (Vector512.IsHardwareAccelerated)
        {
            ColumnBlocks<Vector512Ops, Vector512<float>>.Part(_packed, _plan!.InputFeatures, _x, _h, _p, part, _flip);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ColumnBlocks<Vector256Ops, Vector256<float>>.Part(_packed, _plan!.InputFeatures, _x, _h, _p, part, _flip);
        }
        else
        {
            ColumnBlocks<Vector128Ops, Vector128<float>>.Part(_packed, _plan!.InputFeatures, _x, _h, _p, part, _flip);
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

    private static float* Pin(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
