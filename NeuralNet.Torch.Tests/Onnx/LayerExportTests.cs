using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>Every layer family the exporter knows (<see cref="ExportCases"/>): the exact graph, and ONNX Runtime's
/// output within 1e-5 of libtorch's on the same batch.</summary>
public sealed class LayerExportTests
{
    // float32 sums in another order (ONNX Runtime's kernels against libtorch's) and float32 transcendental functions
    // (Erf, Tanh, Exp) of different implementations: a few 1e-7 on outputs of order 1-10. 1e-5 is the contract.
    private const double Tolerance = 1e-5;

    [TestCaseSource(typeof(ExportCases), nameof(ExportCases.Cases))]
    public void ExportOnnx_Layer_RunsInOnnxRuntimeWithLibTorchsOutputs(ExportCase c)
    {
        using var model = c.Create();
        using var input = ExportCases.Input(c);
        using var expected = Forward(model, input);
        using var bytes = new MemoryStream();

        var info = model.ExportOnnx(bytes, new OnnxExportOptions { InputShape = c.InputShape });

        info.Operators.Should().Equal(c.Operators);
        info.InputShape.Should().Equal(c.InputShape);
        info.OutputShape.Should().Equal(expected.shape.Skip(1), "the output shape is libtorch's, tracked through every layer");
        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        onnx.Session.OutputMetadata["logits"].Dimensions.Should().Equal([-1, .. expected.shape.Skip(1).Select(d => (int)d)]);
        var (values, shape) = onnx.Run(input);
        shape.Should().Equal(expected.shape);
        var difference = OnnxRuntimeModel.MaxDifference(expected, values);
        TestContext.Out.WriteLine($"{c.Name}: largest difference from libtorch {difference:G3}");
        difference.Should().BeLessThanOrEqualTo(Tolerance);
    }

    [TestCaseSource(typeof(ExportCases), nameof(ExportCases.Cases))]
    public void ExportOnnx_Layer_WritesEveryParameterAndStatisticUnderItsStateDictKey(ExportCase c)
    {
        using var model = c.Create();
        using var bytes = new MemoryStream();

        var info = model.ExportOnnx(bytes, new OnnxExportOptions { InputShape = c.InputShape });

        var state = model.state_dict();
        var expected = state.Keys.Where(k => !k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
        info.Initializers.Should().BeEquivalentTo(expected, "every tensor forward reads in eval mode is in the graph, and nothing else");
        var graph = global::Onnx.ModelProto.Parser.ParseFrom(bytes.ToArray()).Graph;
        foreach (var initializer in graph.Initializer)
        {
            initializer.RawData.ToByteArray().Should().Equal(state[initializer.Name].bytes.ToArray(), initializer.Name);
        }
    }

    private static Tensor Forward(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var noGrad = no_grad();
        return model.call(input);
    }
}
