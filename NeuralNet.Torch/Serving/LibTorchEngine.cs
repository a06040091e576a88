using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Serving;

/// <summary>The libtorch engine: the model on its device, in eval mode; one <see cref="PredictionExtensions.Predict"/>
/// per batch.</summary>
internal sealed class LibTorchEngine : IPredictionEngine
{
    private readonly NeuralNetwork _model;

    public LibTorchEngine(NeuralNetwork model, Device device)
    {
        _model = model;
        _model.to(device);
        _model.eval();
    }

    public IReadOnlyList<ClassPrediction> Predict(float[] pixels, int count)
    {
        using var input = tensor(pixels, [count, NeuralNetwork.InputFeatures]);
        return _model.Predict(input);
    }

    public void Dispose() => _model.Dispose();
}
