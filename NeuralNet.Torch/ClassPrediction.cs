namespace NeuralNet.Torch;

/// <summary>The prediction for one sample: the class with the highest probability, and every class's probability.</summary>
/// <param name="Class">The predicted class index, in <c>0..C-1</c> for a model of C classes (<c>0..9</c> for the
/// document's model): the argmax of <see cref="Probabilities"/>, where the first index wins a tie and a NaN row gives
/// 0, as in libtorch.</param>
/// <param name="Probabilities">softmax(logits) for each class, summing to 1 within float32 rounding (all NaN when a
/// logit was NaN or +inf, as libtorch's softmax gives).</param>
/// <param name="Label">The class's name where class names are configured (e.g. <c>Ankle boot</c>), else null.</param>
public sealed record ClassPrediction(int Class, IReadOnlyList<float> Probabilities, string? Label = null)
{
    /// <summary>The probability of the predicted class.</summary>
    public float Confidence => Probabilities[Class];
}
