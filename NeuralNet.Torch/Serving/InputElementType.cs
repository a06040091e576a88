namespace NeuralNet.Torch.Serving;

/// <summary>The element type of a <see cref="Predictor"/>'s input (<see cref="PredictorOptions.InputElementType"/>):
/// what one request's values are and which <c>PredictAsync</c> overload takes them.</summary>
public enum InputElementType
{
    /// <summary>float32 values (pixels, features): <see cref="Predictor.PredictAsync(float[], CancellationToken)"/>.
    /// Every value must be finite.</summary>
    Float32,

    /// <summary>int64 token ids for a model that starts with an <c>Embedding</c>:
    /// <see cref="Predictor.PredictAsync(long[], CancellationToken)"/>. Passed to the model unchanged; an id the model
    /// rejects (out of its vocabulary) fails that request with <see cref="ArgumentException"/>. libtorch engine
    /// only: exported ONNX graphs take float32.</summary>
    Int64,
}
