
namespace NeuralNet.Torch.Serving;

/// <summary>What the predictor's worker thread runs a batch on. Only that thread calls it; implementations need not
/// be thread-safe. Disposing releases the model (and, for ONNX Runtime, the session and its options).</summary>
internal interface IPredictionEngine : IDisposable
{
    /// <summary>Softmax + argmax for <paramref name="count"/> validated float32 samples (each the input shape's
    /// element count, flattened), row by row.</summary>
    IReadOnlyList<ClassPrediction> Predict(float[] values, int count);

    /// <summary>Softmax + argmax for <paramref name="count"/> validated samples of int64 token ids.</summary>
    IReadOnlyList<ClassPrediction> Predict(long[] tokens, int count);
}
