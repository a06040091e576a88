using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>The libtorch engine: the model moved to its device and frozen once (<see cref="PackedInference.Freeze"/>:
/// the predictor computes with that copy of its weights, whatever happens to the model later); each batch runs on the
/// path the frozen model picks: the packed fp32 kernels for small CPU batches, libtorch (fp32, or bf16 when asked for)
/// otherwise.</summary>
internal sealed class LibTorchEngine : IPredictionEngine
{
    private readonly NeuralNetwork _model;
    private readonly FrozenModel _frozen;
    private readonly InferenceOptions _inference;
    private long _packedBatches;

    public LibTorchEngine(NeuralNetwork model, Device device, InferenceOptions inference)
    {
        _model = model;
        _inference = inference;
        _model.to(device);
        _frozen = _model.Freeze();
    }

    /// <summary>How many batches ran on the packed path.</summary>
    public long PackedBatches => Interlocked.Read(ref _packedBatches);

    public IReadOnlyList<ClassPrediction> Predict(float[] pixels, int count)
    {
        // The pixels were checked (length, finiteness) on the callers' threads.
        var predictions = _frozen.PredictChecked(pixels, count, _inference, out var packed);
        if (packed)
        {
            Interlocked.Increment(ref _packedBatches);
        }
        return predictions;
    }

    public void Dispose()
    {
        _frozen.Dispose();
        _model.Dispose();
    }
}
