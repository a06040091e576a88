using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>An exported .onnx model opened in ONNX Runtime (CPU), run on torch tensors' values.</summary>
internal sealed class OnnxRuntimeModel : IDisposable
{
    public OnnxRuntimeModel(string path) => Session = new InferenceSession(path);

    public OnnxRuntimeModel(byte[] model) => Session = new InferenceSession(model);

    public InferenceSession Session { get; }

    /// <summary>Runs the graph on a float32 CPU tensor and returns the one output's values and shape.</summary>
    public (float[] Values, long[] Shape) Run(torch.Tensor input, string inputName = "input", string outputName = "logits")
    {
        using var value = OrtValue.CreateTensorValueFromMemory(Values(input), input.shape);
        using var runOptions = new RunOptions();
        using var outputs = Session.Run(runOptions, [inputName], [value], [outputName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape);
    }

    public void Dispose() => Session.Dispose();

    // TorchSharp's data<T>().ToArray() throws for a tensor with no elements.
    private static float[] Values(torch.Tensor tensor) => tensor.numel() == 0 ? [] : tensor.data<float>().ToArray();

    /// <summary>The largest absolute difference between libtorch's and ONNX Runtime's values; NaN in both places counts as equal, NaN in one as infinite.</summary>
    public static double MaxDifference(torch.Tensor expected, float[] actual)
    {
        var reference = Values(expected);
        reference.Should().HaveSameCount(actual);
        var worst = 0.0;
        for (var i = 0; i < reference.Length; i++)
        {
            var (a, b) = (reference[i], actual[i]);
            var difference = float.IsNaN(a) || float.IsNaN(b)
                ? (float.IsNaN(a) && float.IsNaN(b) ? 0 : double.PositiveInfinity)
                : a == b ? 0 : Math.Abs((double)a - b);
            worst = Math.Max(worst, difference);
        }
        return worst;
    }
}
