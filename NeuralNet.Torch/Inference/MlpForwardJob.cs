using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// One forward pass of an MLP chain over a batch: each hidden layer (Linear + ReLU) is one phase split by output rows
/// across the calling thread and the helper; the output layer runs on the caller alone when it is narrow (10 classes:
/// too small to split), as a phase otherwise. One instance per calling thread, with scratch buffers on the pinned heap
/// that only grow: no allocation in steady state.
/// </summary>
internal sealed unsafe class MlpForwardJob : PhasedJob
{
    /// <summary>Chunks per layer: 8 for each core, so a core that finishes early steals a few.</summary>
    private const int TargetChunks = 16;

    /// <summary>An output layer with fewer rows runs on the calling thread alone.</summary>
    private const int SplitOutputRows = 64;

    [ThreadStatic]
    private static MlpForwardJob? _current;

    private float[] _a = [];
    private float[] _b = [];
    private float[] _paddedInput = [];
    private MlpPlan? _plan;
    private bool _interleaved;
    private int _first;
    private int _window;
    private int _phases;
    private float* _x;
    private int _ldx;
    private float* _pa;
    private float* _pb;
    private float* _logits;
    private int _n;

    /// <summary>The calling thread's job.</summary>
    public static MlpForwardJob ForThisThread => _current ??= new MlpForwardJob();

    public override int Phases => _phases;

    public override int Chunks(int phase)
    {
        var rows = Rows(_window + phase);
        return (rows + ChunkRows(rows) - 1) / ChunkRows(rows);
    }

    /// <summary>Computes the logits <c>[n, Classes]</c> of <c>n</c> samples <c>[n, InputFeatures]</c>: one sample of a
    /// frozen model on <see cref="SingleImageJob"/>, 2 or 3 on the interleaved layout, the rest row-major.</summary>
    public void Forward(MlpPlan plan, float* x, int n, float* logits)
    {
        var packed = plan.Packed;
        if (n == 1 && packed is { HasColumns: true })
        {
            SingleImageJob.ForThisThread.Forward(plan, x, logits);
            return;
        }
        ForwardFrom(plan, 0, x, plan.InputFeatures, n, logits, interleaved: packed is not null && PackedWeights.Helps(n));
    }

    /// <summary>Runs layers <paramref name="first"/> to the last on <paramref name="x"/> (<c>[n, ldx]</c>; for a later
    /// layer, activations padded with zeros to the layer's padded input width when <paramref name="interleaved"/>).</summary>
    public void ForwardFrom(MlpPlan plan, int first, float* x, int ldx, int n, float* logits, bool interleaved)
    {
        var layers = plan.Layers;
        var last = layers.Length - 1;
        var size = n * plan.HiddenStride;
        if (last > first && _a.Length < size)
        {
            _a = GC.AllocateUninitializedArray<float>(size, pinned: true);
            _b = GC.AllocateUninitializedArray<float>(size, pinned: true);
        }
        if (interleaved && first == 0 && last > 0 && layers[0].In != layers[0].PaddedIn)
        {
            // The interleaved kernels read whole blocks of 16 inputs: a width that is not a multiple of 16 is copied
            // into a buffer padded with zeros.
            var padded = layers[0].PaddedIn;
            if (_paddedInput.Length < n * padded)
            {
                _paddedInput = GC.AllocateArray<float>(n * padded, pinned: true);
            }
            for (var s = 0; s < n; s++)
            {
                new ReadOnlySpan<float>(x + (long)s * ldx, layers[0].In).CopyTo(_paddedInput.AsSpan(s * padded, padded));
            }
            x = Pin(_paddedInput);
            ldx = padded;
        }
        _plan = plan;
        _interleaved = interleaved;
        _first = first;
        _x = x;
        _ldx = ldx;
        _pa = Pin(_a);
        _pb = Pin(_b);
        _logits = logits;
        _n = n;
        try
        {
            var phased = layers[last].Out >= SplitOutputRows ? last + 1 : last;
            for (var window = first; window < phased; window += HelperThread.MaxPhases)
            {
                _window = window;
                _phases = Math.Min(HelperThread.MaxPhases, phased - window);
                HelperThread.Run(this);
            }
            if (phased == last)
            {
                RunLayer(last, 0, layers[last].Out);
            }
        }
        finally
        {
            _x = _pa = _pb = _logits = null;
            _plan = null;
        }
    }

    public override void RunChunk(int phase, int chunk)
    {
        var layer = _window + phase;
        var rows = Rows(layer);
        var chunkRows = ChunkRows(rows);
        var r0 = chunk * chunkRows;
        RunLayer(layer, r0, Math.Min(rows, r0 + chunkRows));
    }

    // Output rows r0 to r1 of one layer. Layer t places after the first reads the previous one's output; the hidden
    // activations alternate between the two buffers.
    private void RunLayer(int layer, int r0, int r1)
    {
        var plan = _plan!;
        var t = layer - _first;
        var input = t == 0 ? _x : (t % 2 == 1 ? _pa : _pb);
        var ldInput = t == 0 ? _ldx : plan.HiddenStride;
        var dense = plan.Layers[layer];
        var isLast = layer == plan.Layers.Length - 1;
        var output = isLast ? _logits : (t % 2 == 0 ? _pa : _pb);
        var ldOutput = isLast ? dense.Out : plan.HiddenStride;
        if (_interleaved && !isLast)
        {
            var packed = plan.Packed!;
            DenseKernels.DenseInterleaved(packed.Interleaved(layer), packed.PaddedBias(layer), dense.PaddedIn, input, ldInput,
                output, ldOutput, _n, r0, r1, relu: true);
            return;
        }
        DenseKernels.Dense(dense.Weight, dense.Bias, dense.In, input, ldInput, output, ldOutput, _n, r0, r1, dense.Relu);
    }

    // The interleaved layout has every hidden layer's padded rows (so the next layer reads zeros there).
    private int Rows(int layer)
    {
        var dense = _plan!.Layers[layer];
        return _interleaved && layer < _plan.Layers.Length - 1 ? dense.PaddedOut : dense.Out;
    }

    // Rows per chunk: a multiple of 8 (the kernels' row blocks), about TargetChunks chunks per layer.
    private static int ChunkRows(int rows) => Math.Max(8, ((rows + TargetChunks - 1) / TargetChunks + 7) & ~7);

    private static float* Pin(float[] array) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
