using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>Pointers to the float32 parameters of the three layers: the live row-major tensors, or a frozen model's
/// interleaved snapshot (<see cref="Interleaved"/>, kept alive by <see cref="Snapshot"/>).</summary>
internal readonly unsafe struct MlpWeights
{
    public readonly float* W0;
    public readonly float* B0;
    public readonly float* W1;
    public readonly float* B1;
    public readonly float* W2;
    public readonly float* B2;
    public readonly bool FinalRelu;

    /// <summary>True when <see cref="W0"/> and <see cref="W1"/> are in <see cref="DenseKernels.Interleave"/>'s layout.</summary>
    public bool Interleaved => Snapshot is not null;

    /// <summary>The snapshot the pointers point into (null for live weights): holding it keeps its arrays alive.</summary>
    public readonly PackedWeights? Snapshot;

    public MlpWeights(float* w0, float* b0, float* w1, float* b1, float* w2, float* b2, bool finalRelu, PackedWeights? snapshot = null)
    {
        Snapshot = snapshot;
        W0 = w0;
        B0 = b0;
        W1 = w1;
        B1 = b1;
        W2 = w2;
        B2 = b2;
        FinalRelu = finalRelu;
    }

    /// <summary>Resolves the live pointers, or says why the packed path cannot read this model (not float32, not on the
    /// CPU, a parameter replaced by one of another shape or a non-contiguous view, no bias).</summary>
    public static bool TryResolve(NeuralNetwork model, out MlpWeights weights, out string reason)
    {
        weights = default;
        if (!MlpLayers.TryGet(model, out var layers, out reason))
        {
            return false;
        }
        float* w0, b0, w1, b1, w2, b2;
        if (!TryLayer(layers.First, NeuralNetwork.InputFeatures, NeuralNetwork.HiddenFeatures, out w0, out b0, out reason)
            || !TryLayer(layers.Second, NeuralNetwork.HiddenFeatures, NeuralNetwork.HiddenFeatures, out w1, out b1, out reason)
            || !TryLayer(layers.Third, NeuralNetwork.HiddenFeatures, NeuralNetwork.OutputFeatures, out w2, out b2, out reason))
        {
            return false;
        }
        weights = new MlpWeights(w0, b0, w1, b1, w2, b2, layers.FinalRelu);
        return true;
    }

    private static bool TryLayer(Linear layer, int inFeatures, int outFeatures, out float* weight, out float* bias, out string reason)
    {
        weight = null;
        bias = null;
        var b = layer.bias;
        if (b is null)
        {
            reason = "a Linear layer has no bias";
            return false;
        }
        return TryPointer(layer.weight, outFeatures, inFeatures, out weight, out reason)
            && TryPointer(b, outFeatures, -1, out bias, out reason);
    }

    private static bool TryPointer(Tensor tensor, long rows, long columns, out float* pointer, out string reason)
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
        var shapeOk = columns < 0
            ? tensor.Dimensions == 1 && tensor.size(0) == rows
            : tensor.Dimensions == 2 && tensor.size(0) == rows && tensor.size(1) == columns;
        if (!shapeOk || !tensor.is_contiguous())
        {
            reason = "a parameter has an unexpected shape or is not contiguous";
            return false;
        }
        pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
        reason = "";
        return true;
    }
}
