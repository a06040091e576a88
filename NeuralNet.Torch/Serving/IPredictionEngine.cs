using NeuralNet.Torch.Prediction;

namespace NeuralNet.Torch.Serving;

/// <summary>What the predictor's worker thread runs a batch on. Only that thread calls it; implementations need not
/// be thread-safe. Disposing releases the model (and, for ONNX Runtime, the session and its options).</summary>
internal interface IPredictionEngine : IDisposable
{
    /// <summary>Softmax + argmax for <paramref name="count"/> validated images of 784 pixels each, row by row.</summary>
    IReadOnlyList<ClassPrediction> Predict(float[] pixels, int count);
}
