using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>The one rule that picks the <see cref="InferencePath"/> of a batch, for a live model's <c>Predict</c>, a
/// <see cref="FrozenModel"/> and the predictor's batches: the packed kernels up to
/// <see cref="InferenceOptions.PackedMaxBatchSize"/> samples where they can run, libtorch bfloat16 above it when
/// asked for, libtorch float32 otherwise; and where bfloat16 is refused.</summary>
internal static class PathChoice
{
    private const string Chain = "[Flatten] Linear (ReLU Linear)* [ReLU]";

    /// <summary>The path for <paramref name="batchSize"/> samples.</summary>
    /// <param name="batchSize">The number of samples.</param>
    /// <param name="options">The cut-over and the precision.</param>
    /// <param name="chainDevice">Where the MLP chain's weights are; null when the model is no chain.</param>
    /// <param name="packed">Whether the packed kernels can run this batch (float32 CPU weights, and for a live model
    /// an input they take); read only up to the cut-over.</param>
    /// <param name="model">The model, asked why it is no chain only to word a bfloat16 refusal; null when
    /// <paramref name="chainDevice"/> is known.</param>
    /// <exception cref="NotSupportedException">bfloat16 is asked for where it cannot run (see
    /// <see cref="RequireBFloat16"/>), whatever the batch size.</exception>
    public static InferencePath Choose(long batchSize, InferenceOptions options, DeviceType? chainDevice, bool packed, nn.Module? model = null)
    {
        var bfloat16 = options.Precision == InferencePrecision.BFloat16;
        if (bfloat16)
        {
            var notChain = "";
            if (chainDevice is null && model is not null)
            {
                MlpChain.TryFind(model, out _, out notChain);
            }
            RequireBFloat16(chainDevice, notChain);
        }
        if (batchSize <= options.PackedMaxBatchSize)
        {
            return packed ? InferencePath.Packed : InferencePath.LibTorch;
        }
        return bfloat16 ? InferencePath.LibTorchBFloat16 : InferencePath.LibTorch;
    }

    /// <summary>Refuses <see cref="InferencePrecision.BFloat16"/> where it cannot run: a model that is not an MLP chain
    /// (<paramref name="chainDevice"/> null, <paramref name="notChain"/> says why), one off the CPU, or a CPU without
    /// AVX512_BF16, where libtorch's emulation would be slower than float32.</summary>
    /// <exception cref="NotSupportedException">It cannot run; the message says why and to use float32.</exception>
    public static void RequireBFloat16(DeviceType? chainDevice, string notChain)
    {
        if (chainDevice is not { } device)
        {
            throw new NotSupportedException(
                $"InferencePrecision.BFloat16 runs models whose forward is the chain {Chain} only; {notChain}. Use InferencePrecision.Float32.");
        }
        if (device != DeviceType.CPU)
        {
            throw new NotSupportedException($"InferencePrecision.BFloat16 runs on the CPU only; this model is on {device}. Use InferencePrecision.Float32.");
        }
        if (!CpuFeatures.HasAvx512BFloat16)
        {
            throw new NotSupportedException(
                "InferencePrecision.BFloat16 needs a CPU with AVX512_BF16 (e.g. AMD Zen 4/5, Intel Cooper Lake or Sapphire Rapids and later); " +
                "this CPU has none, and libtorch's emulation would be slower than float32. Use InferencePrecision.Float32.");
        }
    }
}
