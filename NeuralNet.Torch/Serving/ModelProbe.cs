using System.Runtime.InteropServices;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>The forward pass a <see cref="Predictor"/> makes when it is built: one sample of zeros of the configured
/// shape and element type, through the model's own libtorch forward. It proves the model takes that input and gives
/// <c>[1, C]</c> logits, and tells the class count.</summary>
internal static class ModelProbe
{
    /// <summary>The model's class count C.</summary>
    /// <exception cref="ArgumentException">The model does not take <c>[1, ...shape]</c> of that element type (the
    /// message names the shape, the type and libtorch's one-line reason).</exception>
    /// <exception cref="NotSupportedException">The output is not <c>[1, C]</c> floating-point logits.</exception>
    public static int Classes(nn.Module<Tensor, Tensor> model, PredictorInput input)
    {
        using var scope = NewDisposeScope();
        var dtype = input.ElementType == InputElementType.Int64 ? ScalarType.Int64 : ScalarType.Float32;
        using var sample = zeros([1, .. input.Shape], dtype);
        try
        {
            return ModulePrediction.Run(model, sample, 1, InferenceOptions.LibTorchOnly, "options", "input")[0].Probabilities.Count;
        }
        catch (ArgumentException e)
        {
            // The forward's own error (libtorch's, or TorchSharp's check of Conv2d's channels) comes wrapped by ModulePrediction.
            var reason = e.InnerException is ExternalException or ArgumentException ? e.InnerException.Message : e.Message;
            throw new ArgumentException(
                $"Invalid predictor options: the model does not take InputShape {ShapeText.Of(input.Shape)} " +
                $"({input.ElementType}; a batch of one is {ShapeText.Of([1, .. input.Shape])}): {ModulePrediction.FirstLine(reason)}",
                "options", e);
        }
    }
}
