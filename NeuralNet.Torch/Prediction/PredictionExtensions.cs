using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Prediction;

/// <summary>
/// The document's prediction step, <c>nn.Softmax(dim=1)(model(X)).argmax(1)</c>, for any classifier: checked input,
/// no autograd, managed results.
/// </summary>
/// <remarks>
/// <para><b>Any model.</b> <see cref="Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/> takes any
/// <c>Module&lt;Tensor, Tensor&gt;</c> whose output is logits <c>[N, C]</c> (C &gt;= 1 classes): an MLP, a CNN, a
/// text classifier over token ids. The input is whatever the model takes: floating-point tensors are converted to the
/// model's floating-point dtype and checked for NaN and infinity; integer tensors (token ids for an Embedding) are
/// passed through unchanged. Either is moved to the model's device (that of its first parameter or buffer; left where
/// it is when the model has none). The forward pass runs under <c>torch.no_grad()</c>, in eval mode, and every
/// module's own train/eval mode is restored afterwards. Softmax and argmax follow libtorch's rules for any C: a NaN
/// or <c>+inf</c> logit makes its row NaN (class 0), ties go to the first index.</para>
/// <para><b>The document's model.</b> A <see cref="NeuralNetwork"/> takes images, whatever the type of the variable
/// it is called through (these overloads or the <c>Module</c> ones): 784 values per sample, floating point only
/// (integer pixels are refused: scale them to <c>[0, 1]</c> first), and <c>PredictOne</c> takes one image of
/// <c>[28, 28]</c> or <c>[784]</c>, with or without leading dimensions of size 1; the messages say so in those terms.</para>
/// <para><b>Speed.</b> A model whose forward is an MLP chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c> (recognised
/// by structure: <see cref="PackedInference"/>) runs small float32 CPU batches (up to
/// <see cref="InferenceOptions.PackedMaxBatchSize"/>) on managed kernels over its live weights, with libtorch's
/// results within float32 rounding; everything else runs libtorch. <see cref="InferenceOptions"/> can turn the packed
/// path off or opt an MLP's large batches into bfloat16. For serving, <see cref="PackedInference.Freeze"/> gives an
/// immutable copy with faster layouts.</para>
/// <para>Every tensor made on the way is disposed; the caller's tensor is never changed or disposed. Not safe to call
/// concurrently on one model while it is being changed.</para>
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
    /// <paramref name="options"/> (see <see cref="InferenceOptions"/>).</summary>
    /// <param name="model">The model.</param>
    /// <param name="images">Images <c>[N, 28, 28]</c>, <c>[N, 1, 28, 28]</c> or <c>[N, 784]</c>.</param>
    /// <param name="options">The packed path's cut-over, the precision of large batches and the class names.</param>
    /// <returns>One prediction per image, in order; empty for an empty batch (<c>N = 0</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="images"/> or
    /// <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The dtype is not floating point, the per-sample size is not 784, a value is
    /// NaN or infinite, or the class names are not 10. The message names the expected and the actual shape or dtype.</exception>
    /// <exception cref="NotSupportedException"><see cref="InferencePrecision.BFloat16"/> was asked for, but the model
    /// is not on the CPU, the CPU has no AVX512_BF16, or its layers were changed so that it is no MLP chain.</exception>
    public static IReadOnlyList<ClassPrediction> Predict(this NeuralNetwork model, Tensor images, InferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        return PredictImages(model, images, options, nameof(images));
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
        return PredictImage(model, image, InferenceOptions.Default, nameof(image));
    }

    /// <summary>Predicts a class for each sample of a batch, for any classifier: <c>softmax(model(input), dim=1)</c>
    /// and its argmax (see the remarks of <see cref="PredictionExtensions"/>).</summary>
    /// <param name="model">A module whose forward returns logits <c>[N, C]</c>, C &gt;= 1.</param>
    /// <param name="input">A batch of what the model takes, the batch first: images <c>[N, 1, 28, 28]</c>, features
    /// <c>[N, F]</c>, token ids <c>[N, T]</c> (int64 or int32), ...</param>
    /// <param name="options">The packed path's cut-over, the precision of an MLP's large batches, and the class names
    /// for <see cref="ClassPrediction.Label"/>; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns>One prediction per sample, in order, each with C probabilities; empty for an empty batch
    /// (<c>N = 0</c>: the model is not run).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The input is a scalar, a floating-point value is NaN or infinite, the model
    /// rejects the input, or the class names are not one per class. When the model rejects the input, the message
    /// names the input's shape and dtype and libtorch's (or TorchSharp's) one-line reason, and, when the model's first
    /// layer is a Conv1d/2d/3d, a Linear (after a <c>Flatten()</c> or not) or an Embedding whose rule the input breaks,
    /// the samples that layer takes: <c>Expected samples of shape [1, H, W] (the first layer, 'features.0'
    /// Conv2d(1, 6, ...), takes 1 channel); found samples of shape [3, 28, 28] ...</c>. The model's modes and
    /// parameters are as they were. A <see cref="NeuralNetwork"/> refuses input as
    /// <see cref="Predict(NeuralNetwork, Tensor, InferenceOptions)"/> does.</exception>
    /// <exception cref="NotSupportedException">The model's output is not <c>[N, C]</c> floating-point logits (the
    /// message names its shape), or bfloat16 is asked for where it cannot run (not an MLP chain, not on the CPU, no
    /// AVX512_BF16).</exception>
    public static IReadOnlyList<ClassPrediction> Predict(this nn.Module<Tensor, Tensor> model, Tensor input, InferenceOptions? options = null) =>
        model is NeuralNetwork network
            ? PredictImages(network, input, options ?? InferenceOptions.Default, nameof(input))
            : PredictBatch(model, input, options, nameof(input));

    /// <summary>Predicts the class of one sample: <paramref name="sample"/> with a batch dimension added in front
    /// (<c>sample.unsqueeze(0)</c>), then as <see cref="Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>.</summary>
    /// <param name="model">A module whose forward returns logits <c>[N, C]</c>.</param>
    /// <param name="sample">One sample without its batch dimension: an image <c>[1, 28, 28]</c>, token ids <c>[T]</c>, ...</param>
    /// <param name="options">As for <see cref="Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="sample"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>;
    /// a <see cref="NeuralNetwork"/> refuses what <see cref="PredictOne(NeuralNetwork, Tensor)"/> refuses.</exception>
    /// <exception cref="NotSupportedException">As for <see cref="Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>.</exception>
    public static ClassPrediction PredictOne(this nn.Module<Tensor, Tensor> model, Tensor sample, InferenceOptions? options = null)
    {
        if (model is NeuralNetwork network)
        {
            return PredictImage(network, sample, options ?? InferenceOptions.Default, nameof(sample));
        }
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        using var batch = sample.unsqueeze(0);
        return PredictBatch(model, batch, options, nameof(sample))[0];
    }

    // The document's model takes images: 784 floating-point values per sample, whatever the static type it is called
    // through, and the message says so in its terms.
    private static IReadOnlyList<ClassPrediction> PredictImages(NeuralNetwork model, Tensor images, InferenceOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(images, paramName);
        // dim() and size(d), not shape: shape marshals a new array out of libtorch, which a batch-1 prediction notices.
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
                paramName);
        }
        if (!images.is_floating_point())
        {
            throw new ArgumentException(
                $"Expected a floating-point tensor (float32 pixels in [0, 1]); found dtype {images.dtype}. " +
                "Convert first, e.g. images.to_type(ScalarType.Float32) / 255.", paramName);
        }
        var count = images.size(0);
        if (count == 0)
        {
            return [];
        }
        TorchRuntime.EnsureInitialized();
        return ModulePrediction.Run(model, images, count, options, paramName, "pixel");
    }

    // One image of the document's model: 28 x 28 or 784 values, with or without leading dimensions of size 1.
    private static ClassPrediction PredictImage(NeuralNetwork model, Tensor image, InferenceOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(image, paramName);
        var shape = image.shape;
        var core = shape.SkipWhile(d => d == 1).ToArray();
        if (!(core.SequenceEqual(new long[] { 28, 28 }) || core.SequenceEqual(new long[] { NeuralNetwork.InputFeatures })))
        {
            throw new ArgumentException(
                $"Expected one image of shape [28, 28], [1, 28, 28], [1, 1, 28, 28], [784] or [1, 784]; found {ShapeText.Of(shape)}.",
                paramName);
        }
        using var batch = image.reshape(1, NeuralNetwork.InputFeatures);
        return PredictImages(model, batch, options, paramName)[0];
    }

    private static IReadOnlyList<ClassPrediction> PredictBatch(nn.Module<Tensor, Tensor> model, Tensor input, InferenceOptions? options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input, paramName);
        if (input.dim() == 0)
        {
            throw new ArgumentException("Expected a batch of samples [N, ...]; found a scalar tensor (shape []).", paramName);
        }
        var count = input.size(0);
        if (count == 0)
        {
            return [];
        }
        TorchRuntime.EnsureInitialized();
        return ModulePrediction.Run(model, input, count, options ?? InferenceOptions.Default, paramName, "input");
    }
}
