using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>An MLP chain computed by libtorch from its weight and bias tensors (what <c>Linear.forward</c> and
/// <c>ReLU</c> compute), in float32 or bfloat16: a <see cref="FrozenModel"/>'s large batches, and every bfloat16
/// prediction.</summary>
internal static class LinearChain
{
    /// <summary>Logits <c>[N, C]</c> of <paramref name="x"/> <c>[N, in]</c> (on the layers' device, already bfloat16
    /// when <paramref name="bfloat16"/>); call inside a dispose scope under <c>no_grad</c>.</summary>
    /// <remarks>In bfloat16 the weights are converted at every call, so nothing is kept beside the float32 weights
    /// (bfloat16 runs only for large batches, whose time the conversion hardly adds to); the logits come back as
    /// float32.</remarks>
    public static Tensor Forward((Tensor Weight, Tensor? Bias)[] layers, bool finalRelu, Tensor x, bool bfloat16)
    {
        var h = x;
        for (var l = 0; l < layers.Length; l++)
        {
            var (weight, bias) = layers[l];
            h = bfloat16
                ? nn.functional.linear(h, weight.to_type(ScalarType.BFloat16), bias?.to_type(ScalarType.BFloat16))
                : nn.functional.linear(h, weight, bias);
            if (l < layers.Length - 1 || finalRelu)
            {
                h = h.relu_();
            }
        }
        return bfloat16 ? h.to_type(ScalarType.Float32) : h;
    }

    /// <summary>Softmax + argmax of a batch that fits the chain (<paramref name="count"/> samples of
    /// <paramref name="inFeatures"/> values), run by libtorch: the input is moved to the weights' device and dtype (then
    /// to bfloat16 when asked) and checked for NaN and infinity on the converted copy.</summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static ClassPrediction[] Predict(
        (Tensor Weight, Tensor? Bias)[] layers, bool finalRelu, Tensor input, long count, long inFeatures, bool bfloat16,
        IReadOnlyList<string>? classNames, string paramName, string noun)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var reference = layers[0].Weight;
        var x = input.reshape(count, inFeatures);
        // Device has no value equality in TorchSharp: compare its parts.
        if (x.dtype != reference.dtype || x.device_type != reference.device_type || x.device_index != reference.device_index)
        {
            x = x.to(reference.dtype, reference.device);
        }
        if (bfloat16)
        {
            // Converted first (libtorch, on its threads) and checked on the bfloat16 copy: half the bytes, still in
            // cache, where the float32 input (megabytes) would have to come back from memory on one thread.
            x = x.to_type(ScalarType.BFloat16);
        }
        var nonFinite = NonFinite.Count(x);
        if (nonFinite > 0)
        {
            throw NonFinite.Error(nonFinite, paramName, noun);
        }
        var logits = Forward(layers, finalRelu, x, bfloat16);
        if (logits.dtype != ScalarType.Float32 || logits.device_type != DeviceType.CPU || !logits.is_contiguous())
        {
            logits = logits.to(ScalarType.Float32, CPU).contiguous();
        }
        // Softmax and argmax in managed code (libtorch's formula and argmax rule, see PredictionResults), in place on
        // this call's own logits tensor: a managed copy of a large batch's logits would land on the large object heap
        // at every call.
        var classes = (int)logits.size(1);
        PredictionResults.CheckClassNames(classNames, classes);
        return PredictionResults.FromLogits(MemoryMarshal.Cast<byte, float>(logits.bytes), (int)count, classes, classNames);
    }
}
