namespace NeuralNet.Torch.Prediction;

/// <summary>The prediction for one sample: the class with the highest probability, and every class's probability.</summary>
/// <param name="Class">The predicted class index, in <c>0..9</c> (argmax of <see cref="Probabilities"/>; the first
/// index wins a tie, as in libtorch).</param>
/// <param name="Probabilities">softmax(logits) for each class, summing to 1 within float32 rounding.</param>
/// <param name="Label">The class's name where class names are configured (e.g. <c>Ankle boot</c>), else null.</param>
public sealed record ClassPrediction(int Class, IReadOnlyList<float> Probabilities, string? Label = null)
{
    /// <summary>The probability of the predicted class.</summary>
    public float Confidence => Probabilities[Class];
}
