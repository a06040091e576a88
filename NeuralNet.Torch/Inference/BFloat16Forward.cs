using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>The MLP in bfloat16 through libtorch (oneDNN's AVX512_BF16 kernels on the CPU).</summary>
/// <remarks>The layers' parameters are converted at every call (about 0.7 M values, a small fraction of a large
/// batch's time), so like the packed path it always uses the model's current weights: there is no bf16 copy to
/// keep in sync.</remarks>
internal static class BFloat16Forward
{
    /// <summary>float32 logits <c>[N, 10]</c> of float input <c>[N, 784]</c>; call inside a dispose scope under
    /// <c>no_grad</c>.</summary>
    public static Tensor Logits(NeuralNetwork model, Tensor input)
    {
        if (!MlpLayers.TryGet(model, out var layers, out var reason))
        {
            throw new NotSupportedException($"InferencePrecision.BFloat16 cannot run this model: {reason}.");
        }
        var h = input.to_type(ScalarType.BFloat16);
        h = Linear(h, layers.First).relu_();
        h = Linear(h, layers.Second).relu_();
        h = Linear(h, layers.Third);
        if (layers.FinalRelu)
        {
            h = h.relu_();
        }
        return h.to_type(ScalarType.Float32);
    }

    private static Tensor Linear(Tensor x, TorchSharp.Modules.Linear layer) =>
        nn.functional.linear(x, layer.weight.to_type(ScalarType.BFloat16), layer.bias?.to_type(ScalarType.BFloat16));
}
