using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>The document's binary step keeps its exact definition through the export: f(0) = 1, negative gives 0, NaN
/// stays NaN.</summary>
public sealed class BinaryStepExportTests
{
    private static readonly float[] Inputs =
    [
        -2f, -1e-30f, -float.Epsilon, -0.0f, 0f, float.Epsilon, 1e-30f, 3f,
        float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue,
    ];

    private static readonly float[] Expected = [0, 0, 0, 1, 1, 1, 1, 1, float.NaN, 1, 0, 1];

    [Test]
    public void BinaryStep_AfterExport_IsOneAtZeroZeroBelowAndNaNForNaN()
    {
        using var model = Sequential(new BinaryStep());
        using var input = tensor(Inputs, [1, Inputs.Length]);
        using var bytes = new MemoryStream();
        model.ExportOnnx(bytes, new OnnxExportOptions { InputShape = [Inputs.Length] });

        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        var (values, _) = onnx.Run(input);

        values.Should().Equal(Expected);
        using var libtorch = model.forward(input);
        libtorch.data<float>().ToArray().Should().Equal(Expected, "libtorch's own step, the reference");
    }

    [Test]
    public void BinaryStep_AfterExportOnRandomValues_EqualsLibTorchExactly()
    {
        manual_seed(50);
        using var model = Sequential(Linear(16, 64), new BinaryStep());
        using var input = randn(200, 16);
        using var expected = model.forward(input);
        using var bytes = new MemoryStream();
        model.ExportOnnx(bytes);

        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        var (values, _) = onnx.Run(input);

        // A Linear output within float32 rounding of 0 could step either way; none is, for this seed.
        values.Should().Equal(expected.data<float>().ToArray());
        values.Should().Contain(0f).And.Contain(1f);
    }
}
