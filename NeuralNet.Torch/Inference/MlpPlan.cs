using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>What the packed kernels run: the chain's layers as pointers to float32 row-major weights on the CPU, and,
/// for a <see cref="FrozenModel"/>, its <see cref="PackedWeights"/> (the other layouts).</summary>
/// <remarks>A plan of a live model points into the model's parameters and is made afresh at every call, so it always
/// reads the current weights; a frozen model's plan points into the copies the frozen model owns.</remarks>
internal sealed unsafe class MlpPlan
{
    private MlpPlan(DenseLayer[] layers, bool flattensInput)
    {
        Layers = layers;
        FlattensInput = flattensInput;
        for (var l = 0; l < layers.Length - 1; l++)
        {
            HiddenStride = Math.Max(HiddenStride, layers[l].PaddedOut);
        }
    }

    public DenseLayer[] Layers { get; }

    /// <summary>See <see cref="MlpChain.FlattensInput"/>.</summary>
    public bool FlattensInput { get; }

    /// <summary>Values per input sample (the first layer's input width).</summary>
    public int InputFeatures => Layers[0].In;

    /// <summary>Logits per sample (the last layer's output width).</summary>
    public int Classes => Layers[^1].Out;

    /// <summary>The row stride of the hidden activations: the widest hidden layer, rounded up to 16 (0 for one layer).</summary>
    public int HiddenStride { get; }

    /// <summary>The frozen model's other layouts (null for a live model).</summary>
    public PackedWeights? Packed { get; private set; }

    /// <summary>The plan over a live chain's parameters, or why the packed path cannot read them.</summary>
    public static bool TryLive(MlpChain chain, out MlpPlan plan, out string reason) =>
        TryCreate(chain.Tensors(), chain.FlattensInput, chain.FinalRelu, out plan, out reason);

    /// <summary>The plan over <paramref name="layers"/> (weights <c>[out, in]</c>, biases <c>[out]</c> or null), or why
    /// the packed path cannot read them: not float32, not on the CPU, not contiguous, or widths that do not chain.</summary>
    public static bool TryCreate((Tensor Weight, Tensor? Bias)[] layers, bool flattensInput, bool finalRelu, out MlpPlan plan, out string reason)
    {
        plan = null!;
        var dense = new DenseLayer[layers.Length];
        for (var l = 0; l < layers.Length; l++)
        {
            var (weight, bias) = layers[l];
            if (!TryPointer(weight, out var w, out reason))
            {
                return false;
            }
            if (weight.Dimensions != 2)
            {
                reason = $"Linear layer {l}'s weight has {weight.Dimensions} dimensions, not 2";
                return false;
            }
            var outFeatures = weight.size(0);
            var inFeatures = weight.size(1);
            if (l > 0 && inFeatures != dense[l - 1].Out)
            {
                reason = $"Linear layer {l} takes {inFeatures} values, but the layer before it gives {dense[l - 1].Out}";
                return false;
            }
            float* b = null;
            if (bias is not null)
            {
                if (!TryPointer(bias, out b, out reason))
                {
                    return false;
                }
                if (bias.Dimensions != 1 || bias.size(0) != outFeatures)
                {
                    reason = $"Linear layer {l}'s bias does not have its {outFeatures} outputs";
                    return false;
                }
            }
            if (inFeatures == 0 || outFeatures == 0)
            {
                reason = $"Linear layer {l} has no {(inFeatures == 0 ? "inputs" : "outputs")}";
                return false;
            }
            if (inFeatures > int.MaxValue / 2 || outFeatures > int.MaxValue / 2)
            {
                reason = $"Linear layer {l} is too wide for the packed path";
                return false;
            }
            dense[l] = new DenseLayer(w, b, (int)inFeatures, (int)outFeatures, relu: l < layers.Length - 1 || finalRelu);
        }
        plan = new MlpPlan(dense, flattensInput);
        reason = "";
        return true;
    }

    /// <summary>This plan with <paramref name="packed"/> (made from it) attached.</summary>
    public MlpPlan WithPacked(PackedWeights packed)
    {
        Packed = packed;
        return this;
    }

    /// <summary>Whether <paramref name="input"/> has the shape the chain takes: <c>[N, in]</c>, or with a leading
    /// Flatten any <c>[N, ...]</c> of <c>in</c> values per sample.</summary>
    public bool Fits(Tensor input) => Fits(input, FlattensInput, InputFeatures);

    /// <summary>See <see cref="Fits(Tensor)"/>.</summary>
    public static bool Fits(Tensor input, bool flattens, long inFeatures)
    {
        // dim() and size(d), not shape: shape marshals a new array out of libtorch, which a batch-1 prediction notices.
        var dims = input.dim();
        if (!flattens)
        {
            return dims == 2 && input.size(1) == inFeatures;
        }
        var perSample = 1L;
        for (var d = 1; d < dims; d++)
        {
            perSample *= input.size(d);
        }
        return dims >= 2 && perSample == inFeatures;
    }

    /// <summary>The exception for an input that does not fit a chain: it names the shapes the chain takes and the
    /// one it got.</summary>
    public static ArgumentException ShapeError(Tensor input, bool flattens, long inFeatures, string paramName) =>
        new(flattens
                ? $"Expected input of shape [N, ...] with {inFeatures} values per sample (the model's chain starts with Flatten and a Linear of {inFeatures} inputs); found {ShapeText.Of(input.shape)}."
                : $"Expected input of shape [N, {inFeatures}] (the model's chain starts with a Linear of {inFeatures} inputs); found {ShapeText.Of(input.shape)}.",
            paramName);

    /// <summary>Softmax + argmax of <paramref name="count"/> samples of a floating-point CPU tensor that
    /// <see cref="Fits(Tensor)"/>: converted to contiguous float32 when needed (as the libtorch path converts), checked
    /// for NaN and infinity, run on the packed kernels.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite, or the class names do not fit.</exception>
    public ClassPrediction[] Predict(Tensor input, long count, IReadOnlyList<string>? classNames, string paramName, string noun)
    {
        if (input.dtype == ScalarType.Float32 && input.is_contiguous())
        {
            return PredictFinite(MemoryMarshal.Cast<byte, float>(input.bytes), (int)count, classNames, paramName, noun);
        }
        using var scope = NewDisposeScope();
        var converted = input.to_type(ScalarType.Float32).contiguous();
        return PredictFinite(MemoryMarshal.Cast<byte, float>(converted.bytes), (int)count, classNames, paramName, noun);
    }

    /// <summary>Softmax + argmax of <paramref name="count"/> samples already checked for NaN and infinity, row by row.</summary>
    public ClassPrediction[] PredictChecked(ReadOnlySpan<float> samples, int count, IReadOnlyList<string>? classNames)
    {
        PredictionResults.CheckClassNames(classNames, Classes);
        var logits = new float[count * Classes];
        Forward(samples, count, logits);
        return PredictionResults.FromLogits(logits, count, Classes, classNames);
    }

    /// <summary>The logits of <paramref name="count"/> samples (<c>[count * InputFeatures]</c>) into
    /// <paramref name="logits"/> (<c>[count * Classes]</c>); lengths are the caller's to check.</summary>
    public void Forward(ReadOnlySpan<float> samples, int count, Span<float> logits)
    {
        fixed (float* x = samples, y = logits)
        {
            MlpForwardJob.ForThisThread.Forward(this, x, count, y);
        }
    }

    private ClassPrediction[] PredictFinite(ReadOnlySpan<float> samples, int count, IReadOnlyList<string>? classNames, string paramName, string noun)
    {
        var nonFinite = NonFinite.Count(samples);
        if (nonFinite > 0)
        {
            throw NonFinite.Error(nonFinite, paramName, noun);
        }
        return PredictChecked(samples, count, classNames);
    }

    private static bool TryPointer(Tensor tensor, out float* pointer, out string reason)
    {
        pointer = null;
        if (tensor.dtype != ScalarType.Float32)
        {
            reason = $"the parameters are {tensor.dtype}, not Float32";
            return false;
        }
        if (tensor.device_type != DeviceType.CPU)
        {
            reason = $"the parameters are on {tensor.device_type}, not the CPU";
            return false;
        }
        if (!tensor.is_contiguous())
        {
            reason = "a parameter is not contiguous";
            return false;
        }
        pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
        reason = "";
        return true;
    }
}
