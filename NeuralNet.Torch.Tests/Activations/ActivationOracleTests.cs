using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Tests.Oracle;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Activations;

/// <summary>The document's activations against torch on a grid with ±0, NaN, ±inf, ±88, subnormals and the largest
/// values, in float32 and float64: equal within 1 ulp (NaN where torch gives NaN; float64 softmax within 2).</summary>
[Category(PyTorchOracle.Category)]
public sealed class ActivationOracleTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("activations_grid.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    private static IEnumerable<TestCaseData> Cases() =>
        from function in new[] { "sigmoid", "tanh", "relu", "binary_step", "softmax" }
        from dtype in new[] { "float32", "float64" }
        select new TestCaseData(function, dtype).SetArgDisplayNames(function, dtype);

    [TestCaseSource(nameof(Cases))]
    public void Activation_OnTheGrid_EqualsTorchWithinAnUlp(string function, string dtype)
    {
        using var input = _torch.Array((function == "softmax" ? "softmax_in." : "x.") + dtype).ToTensor();
        var expected = _torch.Array($"{function}.{dtype}");

        using var output = function switch
        {
            "sigmoid" => Activation.Sigmoid(input),
            "tanh" => Activation.Tanh(input),
            "relu" => Activation.ReLU(input),
            "binary_step" => Activation.BinaryStep(input),
            _ => Activation.Softmax(input, 1),
        };

        output.shape.Should().Equal(expected.Shape);
        output.dtype.Should().Be(expected.ScalarType);
        if (dtype == "float32")
        {
            WithinUlps(output.data<float>().ToArray().Select(v => (double)v).ToArray(), expected.ToFloat32().Select(v => (double)v).ToArray(),
                input.data<float>().ToArray().Select(v => (double)v).ToArray(), v => Ulp32((float)v), 1, $"{function} {dtype}");
        }
        else
        {
            // float64 softmax: libtorch 2.10 (which the library calls) and torch 1.13 round the normalisation
            // differently: up to 2 ulp on about one value in twelve; every other case agrees within 1 ulp.
            var ulps = function == "softmax" ? 2 : 1;
            WithinUlps(output.data<double>().ToArray(), expected.ToFloat64(), input.data<double>().ToArray(), Ulp64, ulps, $"{function} {dtype}");
        }
    }

    private static void WithinUlps(double[] actual, double[] expected, double[] input, Func<double, long> order, int ulps, string what)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            var same = double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : !double.IsNaN(actual[i]) && Math.Abs(order(actual[i]) - order(expected[i])) <= ulps;
            if (!same)
            {
                Assert.Fail($"{what}: element {i} (input {input[Math.Min(i, input.Length - 1)]:R}) is {actual[i]:R} in the library and " +
                    $"{expected[i]:R} in torch (more than {ulps} ulp apart).");
            }
        }
    }

    // Integers in the order of the floats (±0 both 0), so adjacent floats differ by 1.
    private static long Ulp32(float v)
    {
        var bits = BitConverter.SingleToInt32Bits(v);
        return bits < 0 ? int.MinValue - (long)bits : bits;
    }

    private static long Ulp64(double v)
    {
        var bits = BitConverter.DoubleToInt64Bits(v);
        return bits < 0 ? long.MinValue - bits : bits;
    }
}
