using System.Runtime.InteropServices;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Prediction;

/// <summary>Softmax + argmax of a non-empty batch for any module, on the path the batch takes: the packed kernels over
/// the live weights for a recognised MLP chain (<see cref="MlpChain"/>) and a small CPU batch, libtorch bfloat16 for a
/// chain's large batch when asked, and otherwise the module's own forward in libtorch.</summary>
internal static class ModulePrediction
{
    /// <summary>Predicts <paramref name="count"/> samples (<c>input.size(0)</c>, at least 1) of
    /// <paramref name="input"/>; <paramref name="paramName"/> is the argument named in exceptions and
    /// <paramref name="noun"/> what the values are in the non-finite message ("pixel", "input").</summary>
    public static ClassPrediction[] Run(nn.Module<Tensor, Tensor> model, Tensor input, long count, InferenceOptions options, string paramName, string noun)
    {
        var isChain = MlpChain.TryFind(model, out var chain);
        MlpPlan? plan = null;
        var floating = input.is_floating_point();
        var packed = isChain && floating && count <= options.PackedMaxBatchSize && input.device_type == DeviceType.CPU
            && MlpPlan.TryLive(chain, out plan, out _) && plan.Fits(input);
        var path = PathChoice.Choose(count, options, isChain ? chain.Layers[0].weight.device_type : null, packed, model);
        if (path == InferencePath.Packed)
        {
            return plan!.Predict(input, count, options.ClassNames, paramName, noun);
        }
        if (path == InferencePath.LibTorchBFloat16 && floating)
        {
            var layers = chain.Tensors();
            var inFeatures = layers[0].Weight.size(1);
            if (!MlpPlan.Fits(input, chain.FlattensInput, inFeatures))
            {
                throw MlpPlan.ShapeError(input, chain.FlattensInput, inFeatures, paramName);
            }
            return LinearChain.Predict(layers, chain.FinalRelu, input, count, inFeatures, bfloat16: true, options.ClassNames, paramName, noun);
        }
        // A chain's output is always a new tensor; any other module may return a view of its input or of its own state.
        return LibTorch(model, input, count, options.ClassNames, paramName, noun, ownsOutput: isChain, isChain ? chain.Layers[0].weight : null);
    }

    private static ClassPrediction[] LibTorch(
        nn.Module<Tensor, Tensor> model, Tensor input, long count, IReadOnlyList<string>? classNames, string paramName, string noun,
        bool ownsOutput, Tensor? reference)
    {
        using var scope = NewDisposeScope();
        using var gradMode = InferenceGradMode.For(model);
        using var eval = EvalMode.Enter(model);
        // The first parameter (or buffer) gives the device and floating-point dtype the input must have.
        reference ??= model.named_parameters().Select(p => (Tensor)p.parameter).Concat(model.named_buffers().Select(b => b.buffer)).FirstOrDefault();
        var x = input;
        // Device has no value equality in TorchSharp: compare its parts.
        if (reference is not null && (x.device_type != reference.device_type || x.device_index != reference.device_index))
        {
            x = x.to(reference.device);
        }
        if (x.is_floating_point())
        {
            if (reference is not null && reference.is_floating_point() && x.dtype != reference.dtype)
            {
                x = x.to_type(reference.dtype);
            }
            var nonFinite = NonFinite.Count(x);
            if (nonFinite > 0)
            {
                throw NonFinite.Error(nonFinite, paramName, noun);
            }
        }
        Tensor logits;
        try
        {
            logits = model.call(x);
        }
        // TorchSharp checks some shapes itself (Conv2d's channels) and throws ArgumentException before libtorch runs.
        catch (Exception e) when (e is ExternalException or ArgumentException)
        {
            throw new ArgumentException(
                InputExpectation.Describe(model, x, input) is { } expectation
                    ? $"{expectation}. The forward failed with: {FirstLine(e.Message)}"
                    : $"The model cannot take input of shape {ShapeText.Of(input.shape)} ({input.dtype}): {FirstLine(e.Message)}",
                paramName,
                e);
        }
        if (logits.dim() != 2 || logits.size(0) != count || logits.size(1) < 1 || !logits.is_floating_point())
        {
            throw new NotSupportedException(
                $"Expected the model to return logits of shape [N, C] (N = {count} samples, C >= 1 classes, floating point); " +
                $"it returned {ShapeText.Of(logits.shape)} ({logits.dtype}) for input of shape {ShapeText.Of(input.shape)}.");
        }
        if (logits.dtype != ScalarType.Float32 || logits.device_type != DeviceType.CPU || !logits.is_contiguous())
        {
            logits = logits.to(ScalarType.Float32, CPU).contiguous();
        }
        else if (!ownsOutput)
        {
            logits = logits.clone(); // the softmax runs in place
        }
        var classes = (int)logits.size(1);
        PredictionResults.CheckClassNames(classNames, classes);
        return PredictionResults.FromLogits(MemoryMarshal.Cast<byte, float>(logits.bytes), (int)count, classes, classNames);
    }

    // libtorch's messages continue with "Exception raised from ..." and a native stack: the first line is the reason.
    // The TorchScript interpreter's start with "The following operation failed ..." and a script traceback, and end
    // with the reason ("RuntimeError: index out of range in self").
    internal static string FirstLine(string? message)
    {
        var lines = (message ?? "").Split('\n');
        var line = lines[0].Trim();
        if (line.StartsWith("The following operation failed in the TorchScript interpreter", StringComparison.Ordinal)
            && lines.LastOrDefault(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l.Contains("Error: ", StringComparison.Ordinal)) is { } reason)
        {
            return reason.Trim();
        }
        return line.Length > 0 ? line : "libtorch gave no reason";
    }
}
