using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>The libtorch engine. A model whose forward is an MLP chain (<see cref="MlpChain"/>) is frozen once
/// (<see cref="PackedInference.Freeze"/>: the predictor computes with that copy of its weights, whatever happens to the
/// model later) and each batch runs on the path the frozen model picks: the packed fp32 kernels for small CPU batches,
/// libtorch (fp32, or bf16 when asked for) otherwise. Any other model runs its own forward in libtorch on each batch,
/// as <see cref="PredictionExtensions.Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/> does (eval
/// mode, the library's inference grad mode, every tensor disposed).</summary>
internal sealed class LibTorchEngine : IPredictionEngine
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly FrozenModel? _frozen;
    private readonly InferenceOptions _inference;
    private readonly long[] _shape;
    private long _packedBatches;

    /// <summary>Takes <paramref name="model"/>, already on its device and checked to take
    /// <c>[N, ...<paramref name="inputShape"/>]</c>.</summary>
    public LibTorchEngine(nn.Module<Tensor, Tensor> model, IReadOnlyList<long> inputShape, InputElementType elementType, InferenceOptions inference)
    {
        _model = model;
        _inference = inference;
        _shape = [0, .. inputShape];
        if (elementType == InputElementType.Float32 && MlpChain.TryFind(model, out _))
        {
            _frozen = model.Freeze();
        }
    }

    /// <summary>How many batches ran on the packed path.</summary>
    public long PackedBatches => Interlocked.Read(ref _packedBatches);

    public IReadOnlyList<ClassPrediction> Predict(float[] values, int count)
    {
        // The values were checked (length, finiteness) on the callers' threads.
        if (_frozen is not null)
        {
            var predictions = _frozen.PredictChecked(values, count, _inference, out var packed);
            if (packed)
            {
                Interlocked.Increment(ref _packedBatches);
            }
            return predictions;
        }
        _shape[0] = count;
        using var input = tensor(values, _shape);
        return ModulePrediction.Run(_model, input, count, _inference, "values", "input");
    }

    public IReadOnlyList<ClassPrediction> Predict(long[] tokens, int count)
    {
        _shape[0] = count;
        using var input = tensor(tokens, _shape);
        return ModulePrediction.Run(_model, input, count, _inference, "tokens", "input");
    }

    public void Dispose()
    {
        _frozen?.Dispose();
        _model.Dispose();
    }
}
