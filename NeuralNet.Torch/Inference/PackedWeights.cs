using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// A frozen model's weights copied into pinned managed arrays: the hidden layers' rows interleaved 8 at a time
/// (<see cref="DenseKernels.Interleave"/>) so each block streams sequentially (batches of 2 and 3: about 1.5x the live
/// row-major layout's bandwidth from L2 on the project's CPU), and the same weights by columns for
/// <see cref="SingleImageJob"/> (one image) when they are all finite.
/// </summary>
/// <remarks>
/// Used only while the model is in eval mode, every parameter has <c>requires_grad == false</c>, the parameter objects
/// and their native handles are those it was copied from, and the model's <see cref="NeuralNetwork.WeightsVersion"/>
/// (bumped by <c>train()</c>, <c>LoadCheckpoint</c>, <see cref="PackedInference.Refresh"/> and any call that finds the
/// model trainable) has not moved. Anything else reads the live parameters instead. See <see cref="PackedInference"/>
/// for the one kind of change it cannot see.
/// </remarks>
internal sealed unsafe class PackedWeights
{
    private readonly float[] _w0;
    private readonly float[] _b0;
    private readonly float[] _w1;
    private readonly float[] _b1;
    private readonly float[] _w2;
    private readonly float[] _b2;
    private readonly float[]? _w0Columns;
    private readonly float[]? _w1Columns;
    private readonly Parameter[] _parameters;
    private readonly IntPtr[] _handles;
    private readonly Linear[] _layers;
    private readonly int _version;

    private PackedWeights(MlpLayers layers, in MlpWeights live, int version)
    {
        const int input = NeuralNetwork.InputFeatures;
        const int hidden = NeuralNetwork.HiddenFeatures;
        const int output = NeuralNetwork.OutputFeatures;
        _w0 = GC.AllocateUninitializedArray<float>(hidden * input, pinned: true);
        _w1 = GC.AllocateUninitializedArray<float>(hidden * hidden, pinned: true);
        _w2 = GC.AllocateUninitializedArray<float>(output * hidden, pinned: true);
        _b0 = GC.AllocateUninitializedArray<float>(hidden, pinned: true);
        _b1 = GC.AllocateUninitializedArray<float>(hidden, pinned: true);
        _b2 = GC.AllocateUninitializedArray<float>(output, pinned: true);
        DenseKernels.Interleave(new ReadOnlySpan<float>(live.W0, hidden * input), hidden, input, _w0);
        DenseKernels.Interleave(new ReadOnlySpan<float>(live.W1, hidden * hidden), hidden, hidden, _w1);
        new ReadOnlySpan<float>(live.W2, output * hidden).CopyTo(_w2);
        new ReadOnlySpan<float>(live.B0, hidden).CopyTo(_b0);
        new ReadOnlySpan<float>(live.B1, hidden).CopyTo(_b1);
        new ReadOnlySpan<float>(live.B2, output).CopyTo(_b2);
        // The single-image path skips the columns of zero inputs, which equals libtorch only if 0 * w is 0: finite weights.
        if (PackedInference.CountNonFinite(new ReadOnlySpan<float>(live.W0, hidden * input)) == 0
            && PackedInference.CountNonFinite(new ReadOnlySpan<float>(live.W1, hidden * hidden)) == 0)
        {
            _w0Columns = GC.AllocateUninitializedArray<float>(hidden * input, pinned: true);
            _w1Columns = GC.AllocateUninitializedArray<float>(hidden * hidden, pinned: true);
            FirstLayerColumns(new ReadOnlySpan<float>(live.W0, hidden * input), _w0Columns);
            SecondLayerColumns(new ReadOnlySpan<float>(live.W1, hidden * hidden), _w1Columns);
            W0Columns = (float*)Pin(_w0Columns);
            W1Columns = (float*)Pin(_w1Columns);
        }
        _layers = [layers.First, layers.Second, layers.Third];
        _parameters = Parameters(layers);
        _handles = _parameters.Select(p => p.Handle).ToArray();
        _version = version;
        Weights = new MlpWeights(
            (float*)Pin(_w0), (float*)Pin(_b0), (float*)Pin(_w1), (float*)Pin(_b1), (float*)Pin(_w2), (float*)Pin(_b2),
            live.FinalRelu, this);
    }

    /// <summary>The snapshot's pointers.</summary>
    public MlpWeights Weights { get; }

    /// <summary>The first layer's weight by columns for <see cref="SingleImageJob"/>: for each quarter <c>q</c> of the
    /// hidden units, <c>[784 inputs][128 units]</c>, i.e. <c>W0[128q + r, i]</c> at <c>(q * 784 + i) * 128 + r</c>.
    /// Null when a weight is not finite.</summary>
    public float* W0Columns { get; }

    /// <summary>The second layer's weight by columns for <see cref="SingleImageJob"/>: for each quarter <c>q</c> of its
    /// inputs and each half <c>p</c> of its outputs, <c>[128 inputs][256 outputs]</c>, i.e. <c>W1[256p + o, 128q + j]</c>
    /// at <c>((q * 2 + p) * 128 + j) * 256 + o</c>. Null when a weight is not finite.</summary>
    public float* W1Columns { get; }

    /// <summary>Whether the column snapshot for <see cref="SingleImageJob"/> exists (all weights finite).</summary>
    public bool HasColumns => _w0Columns is not null;

    /// <summary>Whether a batch of <paramref name="n"/> gains from the snapshot: one image runs on the columns, and the interleaved blocks win where the
    /// weights' bandwidth is the limit (1 to 3 images); from 4 images on the row-major 4 x 4 blocks are faster
    /// (measured: batch 8 took 43 us on live weights, 55 to 64 us on the interleaved 8 x 2 blocks).</summary>
    public static bool Helps(long n) => n <= 3;

    /// <summary>The weights to use for <paramref name="model"/> now: its current snapshot, a new one when it is frozen
    /// and in eval mode, or its live parameters. False when the packed path cannot run the model at all.</summary>
    public static bool TryGet(NeuralNetwork model, bool allowSnapshot, out MlpWeights weights, out string reason)
    {
        weights = default;
        if (!MlpLayers.TryGet(model, out var layers, out reason))
        {
            return false;
        }
        var frozen = !model.training && IsFrozen(layers);
        if (!frozen && model.PackedSnapshot is not null)
        {
            // Seen trainable: whatever happens next, the snapshot must not come back after a re-freeze.
            model.InvalidatePackedWeights();
        }
        var usable = frozen && allowSnapshot && DenseKernels.UseVector512;
        if (usable && model.PackedSnapshot is { } snapshot && snapshot.IsCurrent(model, layers))
        {
            weights = snapshot.Weights;
            return true;
        }
        if (!MlpWeights.TryResolve(model, out weights, out reason))
        {
            return false;
        }
        if (usable)
        {
            var fresh = new PackedWeights(layers, weights, model.WeightsVersion);
            model.PackedSnapshot = fresh;
            weights = fresh.Weights;
        }
        return true;
    }

    private bool IsCurrent(NeuralNetwork model, MlpLayers layers)
    {
        if (model.WeightsVersion != _version
            || !ReferenceEquals(layers.First, _layers[0]) || !ReferenceEquals(layers.Second, _layers[1]) || !ReferenceEquals(layers.Third, _layers[2]))
        {
            return false;
        }
        return Same(layers.First.weight, 0) && Same(layers.First.bias, 1)
            && Same(layers.Second.weight, 2) && Same(layers.Second.bias, 3)
            && Same(layers.Third.weight, 4) && Same(layers.Third.bias, 5);
    }

    private bool Same(Parameter? parameter, int index) =>
        ReferenceEquals(parameter, _parameters[index]) && parameter.Handle == _handles[index];

    private static bool IsFrozen(MlpLayers layers) =>
        !layers.First.weight.requires_grad && layers.First.bias?.requires_grad == false
        && !layers.Second.weight.requires_grad && layers.Second.bias?.requires_grad == false
        && !layers.Third.weight.requires_grad && layers.Third.bias?.requires_grad == false;

    private static Parameter[] Parameters(MlpLayers layers) =>
        [layers.First.weight, layers.First.bias!, layers.Second.weight, layers.Second.bias!, layers.Third.weight, layers.Third.bias!];

    private static void FirstLayerColumns(ReadOnlySpan<float> w0, Span<float> columns)
    {
        const int input = NeuralNetwork.InputFeatures;
        const int rows = NeuralNetwork.HiddenFeatures / SingleImageJob.Quarters;
        for (var q = 0; q < SingleImageJob.Quarters; q++)
        {
            for (var i = 0; i < input; i++)
            {
                for (var r = 0; r < rows; r++)
                {
                    columns[(q * input + i) * rows + r] = w0[(q * rows + r) * input + i];
                }
            }
        }
    }

    private static void SecondLayerColumns(ReadOnlySpan<float> w1, Span<float> columns)
    {
        const int hidden = NeuralNetwork.HiddenFeatures;
        const int rows = hidden / SingleImageJob.Quarters;
        const int half = hidden / 2;
        for (var q = 0; q < SingleImageJob.Quarters; q++)
        {
            for (var p = 0; p < 2; p++)
            {
                for (var j = 0; j < rows; j++)
                {
                    for (var o = 0; o < half; o++)
                    {
                        columns[((q * 2 + p) * rows + j) * half + o] = w1[(p * half + o) * hidden + q * rows + j];
                    }
                }
            }
        }
    }

    private static void* Pin(float[] array) => System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
}
