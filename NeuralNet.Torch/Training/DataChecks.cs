using NeuralNet.Torch.Data;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>Checks on a loop's first batch that turn libtorch's failures (or silent garbage) on data that does not fit
/// the model or the loss into messages naming what was expected and found.</summary>
internal static class DataChecks
{
    /// <summary>True for classification: predictions <c>[B, C]</c> and int64 labels <c>[B]</c>, each of the dataset's
    /// labels then checked to be in <c>0 .. C - 1</c>. With the default cross-entropy loss, other labels must be
    /// int64 class indices per position or float probabilities shaped like the predictions.</summary>
    /// <exception cref="ArgumentException">A label is out of range, or the default loss cannot take the labels.</exception>
    public static bool IsClassification(Tensor prediction, Tensor labels, IDataset dataset, bool defaultLoss)
    {
        if (prediction.dim() == 2 && labels.dtype == ScalarType.Int64 && labels.dim() == 1)
        {
            var classes = prediction.shape[1];
            using var scope = NewDisposeScope();
            var all = dataset.Labels;
            var min = all.min().item<long>();
            var max = all.max().item<long>();
            if (min < 0 || max >= classes)
            {
                var bad = min < 0 ? min : max;
                throw new ArgumentException(
                    $"Expected every label in 0..{classes - 1} (the model outputs {classes} classes); found label {bad} in the dataset (labels from {min} to {max}).",
                    nameof(dataset));
            }
            return true;
        }
        if (defaultLoss)
        {
            var indices = labels.dtype == ScalarType.Int64 && labels.dim() == prediction.dim() - 1;
            var probabilities = labels.is_floating_point() && labels.shape.SequenceEqual(prediction.shape);
            if (!indices && !probabilities)
            {
                throw new ArgumentException(
                    $"Expected labels the default loss (CrossEntropyLoss) takes for predictions {prediction.dtype} {ShapeText.Of(prediction.shape)}: " +
                    $"int64 class indices {ShapeText.Of(prediction.shape.Take(1).Concat(prediction.shape.Skip(2)).ToArray())} or float class probabilities " +
                    $"{ShapeText.Of(prediction.shape)}; found {labels.dtype} {ShapeText.Of(labels.shape)}. Convert the labels " +
                    "(labels.to(ScalarType.Int64)) or set TrainingOptions.LossFunction.",
                    nameof(dataset));
            }
        }
        return false;
    }
}
