using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>The libtorch engine: the model on its device, frozen for inference (eval mode, no gradients); each batch
/// runs on the path <see cref="PackedInference.Choose"/> picks: the packed fp32 kernels for small CPU batches, libtorch
/// (fp32, or bf16 when asked for) otherwise.</summary>
internal sealed class LibTorchEngine : IPredictionEngine
{
    private readonly NeuralNetwork _model;
    private readonly InferenceOptions _inference;
    private long _packedBatches;

    public LibTorchEngine(NeuralNetwork model, Device device, InferenceOptions inference)
    {
        _model = model;
        _inference = inference;
        _model.to(device);
        // The predictor owns the model and never trains it: frozen, it runs on the packed path's weight snapshot.
        PackedInference.Freeze(_model);
    }

    /// <summary>How many batches ran on the packed path.</summary>
    public long PackedBatches => Interlocked.Read(ref _packedBatches);

    public IReadOnlyList<ClassPrediction> Predict(float[] pixels, int count)
    {
        // The pixels were checked (length, finiteness) on the callers' threads.
        var path = PackedInference.Choose(_model, count, packableInput: true, _inference, out var weights);
        if (path == InferencePath.Packed)
        {
            Interlocked.Increment(ref _packedBatches);
            return PackedInference.PredictChecked(weights, pixels, count);
        }
        using var input = tensor(pixels, [count, NeuralNetwork.InputFeatures]);
        return PredictionExtensions.RunLibTorch(_model, input, count, path == InferencePath.LibTorchBFloat16);
    }

    public void Dispose() => _model.Dispose();
}
