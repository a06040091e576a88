using System.Runtime.InteropServices;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Prediction;

/// <summary>
/// The document's prediction step, <c>nn.Softmax(dim=1)(model(X)).argmax(1)</c>, with checked input and managed results.
/// </summary>
/// <remarks>
/// <para>Accepted input: floating-point images, 784 values per sample, in <c>[0, 1]</c> as the tutorial's
/// <c>ToTensor</c> makes them. float64, float16 and bfloat16 are converted to the model's dtype; a tensor on another
/// device is copied to the model's device. The caller's tensor is never changed or disposed.</para>
/// <para>Refused with <see cref="ArgumentException"/>: integer or bool tensors (scale pixels to <c>[0, 1]</c> first),
/// a per-sample size other than 784, and NaN or infinite values (which would silently yield NaN probabilities).</para>
/// <para>Small batches of float32 CPU input (up to <see cref="InferenceOptions.PackedMaxBatchSize"/>, default
/// <see cref="PackedInference.DefaultMaxBatchSize"/>) of a float32 CPU model run on the managed
/// <see cref="PackedInference"/> path, which reads the model's live weights and gives libtorch's results within float32
/// rounding (about 3x faster than libtorch at batch 1 on the project's CPU); everything else runs libtorch. <see cref="InferenceOptions"/> can turn the
/// packed path off or opt large batches into bfloat16.</para>
/// <para>libtorch runs under <c>torch.no_grad()</c>, in eval mode, and the model's train/eval mode is restored
/// afterwards (the packed path does not touch it). Every tensor made on the way is disposed. Not safe to call
/// concurrently on one model.</para>
/// </remarks>
public static class PredictionExtensions
{
    /// <summary>Predicts a class for each image of a batch.</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Images <c>[N, 28, 28]</c>, <c>[N, 1, 28, 28]</c> or <c>[N, 784]</c>.</param>
    /// <returns>One prediction per image, in order; empty for an empty batch (<c>N = 0</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="images"/> is null.</exception>
    /// <exception cref="ArgumentException">The dtype is not floating point, the per-sample size is not 784, or a
    /// value is NaN or infinite. The message names the expected and the actual shape or dtype.</exception>
    public static IReadOnlyList<ClassPrediction> Predict(this NeuralNetwork model, Tensor images) =>
        Predict(model, images, InferenceOptions.Default);

    /// <summary>Predicts a class for each image of a batch, choosing the implementation with
    /// <paramref name="options"/> (see <see cref="PackedInference.ChoosePath"/>).</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Images <c>[N, 28, 28]</c>, <c>[N, 1, 28, 28]</c> or <c>[N, 784]</c>.</param>
    /// <param name="options">The packed path's cut-over and the precision of large batches.</param>
    /// <returns>One prediction per image, in order; empty for an empty batch (<c>N = 0</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="images"/> or
    /// <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The dtype is not floating point, the per-sample size is not 784, or a
    /// value is NaN or infinite. The message names the expected and the actual shape or dtype.</exception>
    /// <exception cref="NotSupportedException"><see cref="InferencePrecision.BFloat16"/> was asked for and the batch
    /// is above the packed path's cut-over, but the model is not on the CPU or the CPU has no AVX512_BF16.</exception>
    public static IReadOnlyList<ClassPrediction> Predict(this NeuralNetwork model, Tensor images, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        // dim() and size(d), not shape: shape costs ~1.5 us through TorchSharp, a tenth of a batch-1 prediction.
        var dims = images.dim();
        var perSample = 1L;
        for (var d = 1; d < dims; d++)
        {
            perSample *= images.size(d);
        }
        if (dims < 2 || perSample != NeuralNetwork.InputFeatures)
        {
            throw new ArgumentException(
                $"Expected images of shape [N, 28, 28], [N, 1, 28, 28] or [N, 784] (784 values per sample); found {ShapeText.Of(images.shape)}.",
                nameof(images));
        }
        return Run(model, images, images.size(0), options);
    }

    /// <summary>Predicts the class of one image.</summary>
    /// <param name="model">The model.</param>
    /// <param name="image">One image: <c>[28, 28]</c> or <c>[784]</c>, optionally with leading dimensions of size 1
    /// (<c>[1, 28, 28]</c>, <c>[1, 1, 28, 28]</c>, <c>[1, 784]</c>).</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="image"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape is not one image, the dtype is not floating point, or a value
    /// is NaN or infinite.</exception>
    public static ClassPrediction PredictOne(this NeuralNetwork model, Tensor image)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        var shape = image.shape;
        var core = shape.SkipWhile(d => d == 1).ToArray();
        if (!(core.SequenceEqual(new long[] { 28, 28 }) || core.SequenceEqual(new long[] { NeuralNetwork.InputFeatures })))
        {
            throw new ArgumentException(
                $"Expected one image of shape [28, 28], [1, 28, 28], [1, 1, 28, 28], [784] or [1, 784]; found {ShapeText.Of(shape)}.",
                nameof(image));
        }
        return Run(model, image, 1, InferenceOptions.Default)[0];
    }

    private static ClassPrediction[] Run(NeuralNetwork model, Tensor images, long count, InferenceOptions options)
    {
        if (!images.is_floating_point())
        {
            throw new ArgumentException(
                $"Expected a floating-point tensor (float32 pixels in [0, 1]); found dtype {images.dtype}. " +
                "Convert first, e.g. images.to_type(ScalarType.Float32) / 255.", nameof(images));
        }
        if (count == 0)
        {
            return [];
        }
        TorchRuntime.EnsureInitialized();
        var path = PackedInference.Choose(model, count, packableInput: images.device_type == DeviceType.CPU, options, out var weights);
        if (path == InferencePath.Packed)
        {
            if (images.dtype == ScalarType.Float32 && images.is_contiguous())
            {
                return RunPacked(weights, images, count);
            }
            // Other float dtypes and strided views: converted first, as the libtorch path converts them.
            using var scope = NewDisposeScope();
            return RunPacked(weights, images.to_type(ScalarType.Float32).contiguous(), count);
        }
        return RunLibTorch(model, images, count, path == InferencePath.LibTorchBFloat16);
    }

    private static ClassPrediction[] RunPacked(in MlpWeights weights, Tensor images, long count)
    {
        var pixels = MemoryMarshal.Cast<byte, float>(images.bytes);
        var nonFinite = PackedInference.CountNonFinite(pixels);
        if (nonFinite > 0)
        {
            throw PackedInference.NonFinite(nonFinite, nameof(images));
        }
        return PackedInference.PredictChecked(weights, pixels, (int)count);
    }

    /// <summary>The libtorch path for a checked, non-empty batch (float32, or bfloat16 when asked).</summary>
    internal static ClassPrediction[] RunLibTorch(NeuralNetwork model, Tensor images, long count, bool bfloat16)
    {
        var wasTraining = model.training;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            if (wasTraining)
            {
                model.eval();
            }
            // The first Linear's weight: the dtype and device the input must have (parameters() costs microseconds).
            var reference = MlpLayers.TryGet(model, out var layers, out _) ? layers.First.weight : model.parameters().First();
            var input = images.reshape(count, NeuralNetwork.InputFeatures);
            // Device has no value equality in TorchSharp: compare its parts.
            if (input.dtype != reference.dtype || input.device_type != reference.device_type || input.device_index != reference.device_index)
            {
                input = input.to(reference.dtype, reference.device);
            }
            if (bfloat16)
            {
                // Converted first (libtorch, on its threads) and checked on the bfloat16 copy: half the bytes, still in
                // cache, where the float32 input (megabytes) would have to come back from memory on one thread.
                input = input.to_type(ScalarType.BFloat16);
            }
            var nonFinite = CountNonFinite(input);
            if (nonFinite > 0)
            {
                throw PackedInference.NonFinite(nonFinite, nameof(images));
            }
            var logits = bfloat16 ? BFloat16Forward.Logits(model, input) : model.forward(input);
            if (logits.dtype != ScalarType.Float32 || logits.device_type != DeviceType.CPU || !logits.is_contiguous())
            {
                logits = logits.to(ScalarType.Float32, CPU).contiguous();
            }
            // Softmax and argmax in managed code (libtorch's formula and argmax rule, see PredictionResults), in place
            // on this call's own logits tensor: a managed copy of a large batch's logits would land on the large
            // object heap at every call (measured: 1-1.5 ms of GC and copying per batch of 4,096 instead of 0.4 ms).
            return PredictionResults.FromLogits(MemoryMarshal.Cast<byte, float>(logits.bytes), (int)count);
        }
        finally
        {
            if (wasTraining)
            {
                model.train();
            }
        }
    }

    // float32 or bfloat16 CPU input is counted in one managed SIMD pass on this thread (no temporaries; a second thread
    // here would compete with libtorch's own threads that start next); anything else by libtorch.
    private static long CountNonFinite(Tensor input)
    {
        if (input.device_type != DeviceType.CPU || !input.is_contiguous())
        {
            return logical_not(isfinite(input)).sum().item<long>();
        }
        return input.dtype switch
        {
            ScalarType.Float32 => PackedInference.CountNonFinite(MemoryMarshal.Cast<byte, float>(input.bytes)),
            ScalarType.BFloat16 => PackedInference.CountNonFiniteBFloat16(MemoryMarshal.Cast<byte, ushort>(input.bytes)),
            _ => logical_not(isfinite(input)).sum().item<long>(),
        };
    }
}
