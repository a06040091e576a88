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
/// <para>Runs under <c>torch.no_grad()</c>, in eval mode, and restores the model's train/eval mode afterwards. Every
/// tensor made on the way is disposed. Not safe to call concurrently on one model.</para>
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
    public static IReadOnlyList<ClassPrediction> Predict(this NeuralNetwork model, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var shape = images.shape;
        if (shape.Length < 2 || shape.Skip(1).Aggregate(1L, (a, b) => a * b) != NeuralNetwork.InputFeatures)
        {
            throw new ArgumentException(
                $"Expected images of shape [N, 28, 28], [N, 1, 28, 28] or [N, 784] (784 values per sample); found {ShapeText(shape)}.",
                nameof(images));
        }
        return Run(model, images, shape[0]);
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
                $"Expected one image of shape [28, 28], [1, 28, 28], [1, 1, 28, 28], [784] or [1, 784]; found {ShapeText(shape)}.",
                nameof(image));
        }
        return Run(model, image, 1)[0];
    }

    private static ClassPrediction[] Run(NeuralNetwork model, Tensor images, long count)
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
        var wasTraining = model.training;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            model.eval();
            var reference = model.parameters().First();
            var input = images.reshape(count, NeuralNetwork.InputFeatures);
            // Device has no value equality in TorchSharp: compare its parts.
            if (input.dtype != reference.dtype || input.device_type != reference.device_type || input.device_index != reference.device_index)
            {
                input = input.to(reference.dtype, reference.device);
            }
            var nonFinite = logical_not(isfinite(input)).sum().item<long>();
            if (nonFinite > 0)
            {
                throw new ArgumentException(
                    $"Expected finite pixel values; found {nonFinite} NaN or infinite value(s) in the input.", nameof(images));
            }
            var probabilities = nn.functional.softmax(model.forward(input), 1).to_type(ScalarType.Float32).cpu();
            var classes = probabilities.argmax(1).cpu();
            var p = probabilities.data<float>().ToArray();
            var c = classes.data<long>().ToArray();
            var width = (int)probabilities.shape[1];
            var results = new ClassPrediction[count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = new ClassPrediction((int)c[i], p.AsSpan(i * width, width).ToArray());
            }
            return results;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    internal static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
