using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests;

public sealed class NeuralNetworkTests
{
    private static readonly (string Name, long[] Shape)[] ExpectedParameters =
    [
        ("linear_relu_stack.0.weight", [512, 784]),
        ("linear_relu_stack.0.bias", [512]),
        ("linear_relu_stack.2.weight", [512, 512]),
        ("linear_relu_stack.2.bias", [512]),
        ("linear_relu_stack.4.weight", [10, 512]),
        ("linear_relu_stack.4.bias", [10]),
    ];

    [TestCase(NeuralNetworkVariant.Documented)]
    [TestCase(NeuralNetworkVariant.Quickstart)]
    public void NamedParameters_AreThePyTorchKeysAndShapes_InOrder(NeuralNetworkVariant variant)
    {
        using var model = new NeuralNetwork(variant);

        var actual = model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();

        actual.Select(p => p.name).Should().Equal(ExpectedParameters.Select(p => p.Name));
        for (var i = 0; i < actual.Length; i++)
        {
            actual[i].shape.Should().Equal(ExpectedParameters[i].Shape, because: actual[i].name);
        }
        model.parameters().Sum(p => p.numel()).Should().Be(669_706);
        model.state_dict().Keys.Should().Equal(ExpectedParameters.Select(p => p.Name));
    }

    [Test]
    public void Children_AreFlattenAndTheStack_WithTheDocumentsLayers()
    {
        using var documented = new NeuralNetwork();
        using var quickstart = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        documented.named_children().Select(c => c.name).Should().Equal("flatten", "linear_relu_stack");
        LayerTypes(documented).Should().Equal("Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU");
        LayerTypes(quickstart).Should().Equal("Linear", "ReLU", "Linear", "ReLU", "Linear");
        documented.Variant.Should().Be(NeuralNetworkVariant.Documented);
        quickstart.Variant.Should().Be(NeuralNetworkVariant.Quickstart);
    }

    [Test]
    public void InitialWeights_FollowPyTorchLinearInit_UniformWithinOneOverSqrtFanIn()
    {
        torch.manual_seed(7);
        using var model = new NeuralNetwork();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var fanIn = name.StartsWith("linear_relu_stack.0.", StringComparison.Ordinal) ? 784 : 512;
            var bound = 1 / Math.Sqrt(fanIn);
            var values = parameter.detach().data<float>().ToArray();
            values.Max(v => Math.Abs(v)).Should().BeLessThanOrEqualTo((float)bound, because: name);
            if (values.Length >= 10_000)
            {
                // A uniform(-b, b) sample has standard deviation b / sqrt(3) and mean 0; with >= 5,120 draws the
                // sample statistics sit well inside these tolerances, and a normal or unscaled init falls outside.
                var mean = values.Average(v => (double)v);
                var std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
                std.Should().BeApproximately(bound / Math.Sqrt(3), bound / Math.Sqrt(3) * 0.03, because: name);
                mean.Should().BeApproximately(0, bound * 0.03, because: name);
            }
        }
    }

    [Test]
    public void SeededConstruction_IsReproducible()
    {
        torch.manual_seed(42);
        using var first = new NeuralNetwork();
        torch.manual_seed(42);
        using var second = new NeuralNetwork();
        torch.manual_seed(43);
        using var third = new NeuralNetwork();

        var a = first.named_parameters().ToArray();
        var b = second.named_parameters().ToArray();
        for (var i = 0; i < a.Length; i++)
        {
            a[i].parameter.allclose(b[i].parameter, rtol: 0, atol: 0).Should().BeTrue(because: a[i].name);
        }
        a[0].parameter.allclose(third.named_parameters().First().parameter, rtol: 0, atol: 0).Should().BeFalse();
    }

    [TestCase(1)]
    [TestCase(3)]
    public void Forward_OnTheDocumentsInput_GivesLogitsOfShapeNBy10(int batch)
    {
        using var model = new NeuralNetwork();
        using var x = torch.rand(batch, 28, 28);
        using var x4 = x.reshape(batch, 1, 28, 28);

        using var logits = model.forward(x);
        using var logits4 = model.forward(x4);

        logits.shape.Should().Equal(batch, 10);
        logits.dtype.Should().Be(ScalarType.Float32);
        logits4.allclose(logits, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Test]
    public void Forward_DocumentedVariant_NeverNegative_QuickstartVariant_CanBe()
    {
        torch.manual_seed(1);
        using var documented = new NeuralNetwork();
        using var quickstart = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var x = torch.rand(256, 28, 28);

        using var a = documented.forward(x);
        using var b = quickstart.forward(x);

        a.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        b.min().item<float>().Should().BeLessThan(0f, "without the final ReLU some of 2,560 logits are negative");
    }

    [Test]
    public void Constructor_UndefinedVariant_Throws()
    {
        var act = () => new NeuralNetwork((NeuralNetworkVariant)7);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Documented*Quickstart*");
    }

    private static string[] LayerTypes(NeuralNetwork model) =>
        model.named_modules().Where(m => m.name.StartsWith("linear_relu_stack.", StringComparison.Ordinal))
            .Select(m => m.module.GetType().Name).ToArray();
}
