namespace NeuralNet.Torch.Serving;

/// <summary>Which runtime computes a <see cref="Predictor"/>'s forward passes (<see cref="PredictorOptions.Engine"/>).
/// Both give the same predictions: the same classes, probabilities equal within 1e-5.</summary>
public enum PredictionEngine
{
    /// <summary>libtorch through TorchSharp, on the CPU or a CUDA device (the default, and the only engine for CUDA).</summary>
    LibTorch,

    /// <summary>ONNX Runtime on the CPU: the model is exported to ONNX in memory when the predictor is built
    /// (<see cref="Onnx.OnnxExport"/>) and run by an ONNX Runtime session. The application must reference the
    /// <c>Microsoft.ML.OnnxRuntime</c> package (the native runtime); this library references only its managed
    /// bindings.</summary>
    OnnxRuntime,
}
