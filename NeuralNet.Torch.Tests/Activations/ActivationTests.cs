using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Activations;

public sealed class ActivationTests
{
    // The document's points: both sides of 0, 0 itself, and values too small to matter anywhere but at the step.
    private static readonly float[] Points = [-2f, -1e-7f, 0f, 1e-7f, 2f];

    // libtorch computes these gradients from the float32 output y (s(1 - s), 1 - y^2): y carries up to half an ulp
    // of 1 (3e-8) of error, which the subtraction from 1 keeps as absolute error, plus the result's own rounding.
    // Two ulps of 1 covers that; a wrong formula is off by 1e-3 or more at these points.
    private const float GradientTolerance = 1.2e-7f;

    [Test]
    public void BinaryStep_AtTheDocumentsPoints_GivesZeroBelowZeroAndOneFromZeroOn()
    {
        using var x = tensor(Points);

        using var y = Activation.BinaryStep(x);

        Values(y).Should().Equal(0f, 0f, 1f, 1f, 1f);
    }

    [Test]
    public void BinaryStep_AtLargeMagnitudesInfinitiesAndNegativeZero_GivesZeroOrOne()
    {
        using var x = tensor(new[] { -1e30f, 1e30f, float.NegativeInfinity, float.PositiveInfinity, -0f, float.Epsilon, -float.Epsilon });

        using var y = Activation.BinaryStep(x);

        // -0.0 >= 0 holds in IEEE 754, so f(-0.0) = 1 like f(0); the smallest subnormals fall on their own sides.
        Values(y).Should().Equal(0f, 1f, 0f, 1f, 1f, 1f, 0f);
    }

    [Test]
    public void BinaryStep_NaN_GivesNaN_AndLeavesTheOtherElementsAlone()
    {
        using var x = tensor(new[] { -1f, float.NaN, 0f, float.NaN, 3f });

        using var y = Activation.BinaryStep(x);

        var v = Values(y);
        float.IsNaN(v[1]).Should().BeTrue();
        float.IsNaN(v[3]).Should().BeTrue();
        new[] { v[0], v[2], v[4] }.Should().Equal(0f, 1f, 1f);
    }

    [TestCase(ScalarType.Float64)]
    [TestCase(ScalarType.Float16)]
    [TestCase(ScalarType.BFloat16)]
    [TestCase(ScalarType.Int32)]
    [TestCase(ScalarType.Int64)]
    [TestCase(ScalarType.Int8)]
    public void BinaryStep_OtherDtypes_KeepsTheDtypeAndShape(ScalarType dtype)
    {
        using var source = tensor(new[] { -3f, -1f, 0f, 1f, 5f, 7f }).reshape(2, 3);
        using var x = source.to_type(dtype);

        using var y = Activation.BinaryStep(x);

        y.dtype.Should().Be(dtype);
        y.shape.Should().Equal(2, 3);
        y.device_type.Should().Be(DeviceType.CPU);
        using var asFloat = y.to_type(ScalarType.Float32);
        Values(asFloat).Should().Equal(0f, 0f, 1f, 1f, 1f, 1f);
    }

    [TestCase(ScalarType.Bool)]
    [TestCase(ScalarType.ComplexFloat32)]
    public void BinaryStep_BoolOrComplex_ThrowsNamingTheDtype(ScalarType dtype)
    {
        using var x = zeros(3, dtype: dtype);

        var act = () => Activation.BinaryStep(x);

        act.Should().Throw<ArgumentException>().WithMessage($"*floating-point or integer*{dtype}*");
    }

    [Test]
    public void BinaryStep_Backward_GivesZeroGradientEverywhere_AtZeroAndNaNToo()
    {
        using var x = tensor(new[] { -2f, -1e-7f, 0f, 1e-7f, 2f, float.NaN }).requires_grad_(true);

        using var y = Activation.BinaryStep(x);
        using var loss = y.sum();
        loss.backward();

        y.requires_grad.Should().BeTrue("a binary step inside a network must not break backward()");
        using var grad = x.grad!;
        Values(grad).Should().Equal(0f, 0f, 0f, 0f, 0f, 0f);
    }

    [Test]
    public void BinaryStep_UnderNoGrad_DoesNotRequireGrad()
    {
        using var x = tensor(Points).requires_grad_(true);
        using var noGrad = no_grad();

        using var y = Activation.BinaryStep(x);

        y.requires_grad.Should().BeFalse();
    }

    [Test]
    public void Sigmoid_AtTheDocumentsPoints_Is1Over1PlusEToTheMinusX()
    {
        using var x = tensor(Points);

        using var y = Activation.Sigmoid(x);

        var v = Values(y);
        for (var i = 0; i < Points.Length; i++)
        {
            ShouldBeWithinUlps(v[i], 1 / (1 + Math.Exp(-Points[i])), 2, $"sigmoid({Points[i]})");
        }
        v[2].Should().Be(0.5f, "sigmoid(0) is exactly 1/2");
    }

    [Test]
    public void Sigmoid_AtLargeMagnitudes_SaturatesToZeroAndOneWithoutNaN()
    {
        using var x = tensor(new[] { -1e4f, -100f, 100f, 1e4f, float.NegativeInfinity, float.PositiveInfinity });

        using var y = Activation.Sigmoid(x);

        var v = Values(y);
        v.Should().NotContain(float.NaN);
        // sigmoid(-100) = 3.7e-44 is a float32 subnormal; libtorch gives 0 or that subnormal, never less or NaN.
        v[0].Should().BeInRange(0f, 1e-38f);
        v[1].Should().BeInRange(0f, 1e-38f);
        v[2].Should().Be(1f);
        v[3].Should().Be(1f);
        v[4].Should().Be(0f);
        v[5].Should().Be(1f);
    }

    [Test]
    public void Tanh_AtTheDocumentsPoints_IsTheHyperbolicTangent()
    {
        using var x = tensor(Points);

        using var y = Activation.Tanh(x);

        var v = Values(y);
        for (var i = 0; i < Points.Length; i++)
        {
            // (e^x - e^-x) / (e^x + e^-x), evaluated in double.
            var e = (Math.Exp(Points[i]) - Math.Exp(-Points[i])) / (Math.Exp(Points[i]) + Math.Exp(-Points[i]));
            ShouldBeWithinUlps(v[i], e, 2, $"tanh({Points[i]})");
        }
        v[2].Should().Be(0f);
    }

    [Test]
    public void Tanh_AtLargeMagnitudes_IsExactlyPlusOrMinusOne()
    {
        using var x = tensor(new[] { -1e4f, -20f, 20f, 1e4f, float.NegativeInfinity, float.PositiveInfinity });

        using var y = Activation.Tanh(x);

        Values(y).Should().Equal(-1f, -1f, 1f, 1f, -1f, 1f);
    }

    [Test]
    public void ReLU_AtTheDocumentsPointsAndLargeMagnitudes_IsZeroBelowZeroAndXOtherwise()
    {
        using var x = tensor(new[] { -2f, -1e-7f, 0f, 1e-7f, 2f, -1e30f, 1e30f, float.NegativeInfinity, float.PositiveInfinity });

        using var y = Activation.ReLU(x);

        Values(y).Should().Equal(0f, 0f, 0f, 1e-7f, 2f, 0f, 1e30f, 0f, float.PositiveInfinity);
    }

    [Test]
    public void ReLU_NegativeZero_GivesNegativeZero_AsTheFormulaSays()
    {
        using var x = tensor(new[] { -0f });

        using var y = Activation.ReLU(x);

        float.IsNegative(Values(y)[0]).Should().BeTrue("-0.0 >= 0, so relu(-0.0) = x = -0.0");
    }

    [Test]
    public void ReLU_IntegerInput_StaysInteger()
    {
        using var x = tensor(new[] { -5, 0, 7 });

        using var y = Activation.ReLU(x);

        y.dtype.Should().Be(ScalarType.Int32);
        y.data<int>().ToArray().Should().Equal(0, 0, 7);
    }

    [TestCase(ActivationKind.BinaryStep)]
    [TestCase(ActivationKind.Sigmoid)]
    [TestCase(ActivationKind.Tanh)]
    [TestCase(ActivationKind.ReLU)]
    public void ElementWiseFunction_NaN_GivesNaN_AndLeavesTheOtherElementsAlone(ActivationKind kind)
    {
        using var x = tensor(new[] { -1f, float.NaN, 2f });
        using var expectedNeighbours = tensor(new[] { -1f, 2f });

        using var y = Apply(kind, x);
        using var neighbours = Apply(kind, expectedNeighbours);

        var v = Values(y);
        float.IsNaN(v[1]).Should().BeTrue();
        new[] { v[0], v[2] }.Should().Equal(Values(neighbours));
    }

    [Test]
    public void Sigmoid_Backward_IsSigmaTimesOneMinusSigma()
    {
        double[] xs = [-3, -0.5, 0, 0.5, 3];
        using var x = tensor(xs.Select(v => (float)v).ToArray()).requires_grad_(true);

        using var y = Activation.Sigmoid(x);
        using var loss = y.sum();
        loss.backward();

        using var grad = x.grad!;
        var g = Values(grad);
        for (var i = 0; i < xs.Length; i++)
        {
            var s = 1 / (1 + Math.Exp(-xs[i]));
            g[i].Should().BeApproximately((float)(s * (1 - s)), GradientTolerance, $"sigmoid'({xs[i]})");
        }
        g[2].Should().Be(0.25f);
    }

    [Test]
    public void Tanh_Backward_IsOneMinusTanhSquared()
    {
        double[] xs = [-3, -0.5, 0, 0.5, 3];
        using var x = tensor(xs.Select(v => (float)v).ToArray()).requires_grad_(true);

        using var y = Activation.Tanh(x);
        using var loss = y.sum();
        loss.backward();

        using var grad = x.grad!;
        var g = Values(grad);
        for (var i = 0; i < xs.Length; i++)
        {
            var t = Math.Tanh(xs[i]);
            g[i].Should().BeApproximately((float)(1 - t * t), GradientTolerance, $"tanh'({xs[i]})");
        }
        g[2].Should().Be(1f);
    }

    [Test]
    public void ReLU_Backward_IsOneAboveZero_ZeroBelow_AndZeroAtZero()
    {
        using var x = tensor(Points).requires_grad_(true);

        using var y = Activation.ReLU(x);
        using var loss = y.sum();
        loss.backward();

        using var grad = x.grad!;
        Values(grad).Should().Equal(0f, 0f, 0f, 1f, 1f);
    }

    [Test]
    public void Softmax_RandomLogits_EachRowSumsToOne()
    {
        manual_seed(3);
        using var logits = randn(8, 10) * 10;

        using var p = Activation.Softmax(logits, 1);
        using var sums = p.sum(1);

        p.shape.Should().Equal(8, 10);
        foreach (var sum in Values(sums))
        {
            // Ten float32 terms of at most 1: rounding stays within a few 1e-7.
            sum.Should().BeApproximately(1f, 1e-6f);
        }
        p.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
    }

    [Test]
    public void Softmax_SmallLogits_IsEToTheXOverTheSum()
    {
        float[] logits = [1f, 2f, 3f];
        using var x = tensor(logits);

        using var p = Activation.Softmax(x, 0);

        var total = logits.Sum(l => Math.Exp(l));
        var v = Values(p);
        for (var i = 0; i < logits.Length; i++)
        {
            ShouldBeWithinUlps(v[i], Math.Exp(logits[i]) / total, 2, $"softmax([1, 2, 3])[{i}]");
        }
    }

    [Test]
    public void Softmax_LargeLogits_IsStable()
    {
        using var x = tensor(new[] { 1000f, 1000f, 1000f, 0f, -1000f, -1000f, 1e4f, 1e4f - 1f }).reshape(4, 2);

        using var p = Activation.Softmax(x, 1);

        var v = Values(p);
        v.Should().NotContain(float.NaN);
        v.Take(6).Should().Equal(0.5f, 0.5f, 1f, 0f, 0.5f, 0.5f);
        // [1e4, 1e4 - 1] is [1, 0] shifted: e / (e + 1) and 1 / (e + 1).
        ShouldBeWithinUlps(v[6], Math.E / (Math.E + 1), 2, "softmax([1e4, 1e4 - 1])[0]");
        ShouldBeWithinUlps(v[7], 1 / (Math.E + 1), 2, "softmax([1e4, 1e4 - 1])[1]");
    }

    [Test]
    public void Softmax_NaNOrPlusInfinityInARow_MakesOnlyThatRowNaN_MinusInfinityGivesZero()
    {
        using var x = tensor(new[]
        {
            1f, float.NaN, 2f,
            1f, float.PositiveInfinity, 2f,
            0f, float.NegativeInfinity, 0f,
            1f, 1f, 1f,
        }).reshape(4, 3);

        using var p = Activation.Softmax(x, 1);

        var v = Values(p);
        v.Take(6).Should().OnlyContain(f => float.IsNaN(f));
        v.Skip(6).Take(3).Should().Equal(0.5f, 0f, 0.5f);
        v.Skip(9).Should().OnlyContain(f => Math.Abs(f - 1f / 3) <= 3e-8f);
    }

    [Test]
    public void Softmax_Dim0_NormalisesColumns()
    {
        using var x = tensor(new[] { 0f, 5f, 0f, 5f }).reshape(2, 2);

        using var p = Activation.Softmax(x, 0);
        using var last = Activation.Softmax(x, -1);

        Values(p).Should().Equal(0.5f, 0.5f, 0.5f, 0.5f);
        ShouldBeWithinUlps(Values(last)[0], 1 / (1 + Math.Exp(5)), 2, "softmax([0, 5])[0]");
    }

    [TestCase(2)]
    [TestCase(-3)]
    public void Softmax_DimOutOfRange_ThrowsNamingTheRange(long dim)
    {
        using var x = zeros(2, 3);

        var act = () => Activation.Softmax(x, dim);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[-2, 1]*[2, 3]*");
    }

    [Test]
    public void Softmax_IntegerInput_ThrowsNamingTheDtype()
    {
        using var x = tensor(new[] { 1, 2 });

        var act = () => Activation.Softmax(x, 0);

        act.Should().Throw<ArgumentException>().WithMessage("*floating-point*Int32*");
    }

    [Test]
    public void Functions_NullInput_Throw()
    {
        Tensor input = null!;

        FluentActions.Invoking(() => Activation.BinaryStep(input)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => Activation.Sigmoid(input)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => Activation.Tanh(input)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => Activation.ReLU(input)).Should().Throw<ArgumentNullException>();
        FluentActions.Invoking(() => Activation.Softmax(input, 0)).Should().Throw<ArgumentNullException>();
    }

    [TestCase(ActivationKind.BinaryStep, typeof(BinaryStep))]
    [TestCase(ActivationKind.Sigmoid, typeof(TorchSharp.Modules.Sigmoid))]
    [TestCase(ActivationKind.Tanh, typeof(TorchSharp.Modules.Tanh))]
    [TestCase(ActivationKind.ReLU, typeof(TorchSharp.Modules.ReLU))]
    [TestCase(ActivationKind.Softmax, typeof(TorchSharp.Modules.Softmax))]
    public void Create_EachKind_GivesTheModuleOfThatName_WithoutParameters(ActivationKind kind, Type expected)
    {
        using var module = Activation.Create(kind);

        module.Should().BeOfType(expected);
        module.GetType().Name.Should().Be(kind.ToString());
        module.parameters().Should().BeEmpty();
    }

    [TestCase(-1)]
    [TestCase(1)]
    public void Create_Softmax_UsesTheGivenDim(long dim)
    {
        using var module = Activation.Create(ActivationKind.Softmax, dim);

        ((TorchSharp.Modules.Softmax)module).dim.Should().Be(dim);
    }

    [TestCase(ActivationKind.BinaryStep)]
    [TestCase(ActivationKind.Sigmoid)]
    [TestCase(ActivationKind.Tanh)]
    [TestCase(ActivationKind.ReLU)]
    [TestCase(ActivationKind.Softmax)]
    public void Create_ModuleForward_EqualsTheFunction(ActivationKind kind)
    {
        using var x = tensor(new[] { -2f, -1e-7f, 0f, 1e-7f, 2f, float.NaN, 100f, -100f }).reshape(2, 4);
        using var module = Activation.Create(kind);

        using var fromModule = module.forward(x);
        using var fromFunction = Apply(kind, x);

        Values(fromModule).Should().Equal(Values(fromFunction), "NaN compares equal to NaN here");
    }

    [Test]
    public void Create_UndefinedKind_Throws()
    {
        var act = () => Activation.Create((ActivationKind)42);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*BinaryStep, Sigmoid, Tanh, ReLU, Softmax*");
    }

    [TestCase("BinaryStep", ActivationKind.BinaryStep)]
    [TestCase("binary_step", ActivationKind.BinaryStep)]
    [TestCase("Binary-Step", ActivationKind.BinaryStep)]
    [TestCase("BINARYSTEP", ActivationKind.BinaryStep)]
    [TestCase("sigmoid", ActivationKind.Sigmoid)]
    [TestCase(" Tanh ", ActivationKind.Tanh)]
    [TestCase("relu", ActivationKind.ReLU)]
    [TestCase("ReLU", ActivationKind.ReLU)]
    [TestCase("softmax", ActivationKind.Softmax)]
    public void Parse_KnownNameInAnyCase_GivesTheKind(string name, ActivationKind expected)
    {
        Activation.Parse(name).Should().Be(expected);
        Activation.TryParse(name, out var kind).Should().BeTrue();
        kind.Should().Be(expected);
    }

    [Test]
    public void Parse_EveryKindsName_RoundTrips()
    {
        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            Activation.Parse(kind.ToString()).Should().Be(kind);
        }
    }

    [TestCase("swish")]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("3")]
    [TestCase("relu6")]
    public void Parse_UnknownName_ThrowsListingTheValidNames(string name)
    {
        var act = () => Activation.Parse(name);

        act.Should().Throw<ArgumentException>()
            .WithMessage($"Unknown activation '{name}'*BinaryStep, Sigmoid, Tanh, ReLU, Softmax*")
            .Which.ParamName.Should().Be("name");
        Activation.TryParse(name, out _).Should().BeFalse();
    }

    [Test]
    public void Parse_Null_Throws_TryParseReturnsFalse()
    {
        FluentActions.Invoking(() => Activation.Parse(null!)).Should().Throw<ArgumentNullException>();
        Activation.TryParse(null, out _).Should().BeFalse();
    }

    [Test]
    public void Functions_ManyCalls_LeaveNoLiveTensors()
    {
        using var x = tensor(new[] { -2f, 0f, float.NaN, 3f }).reshape(2, 2);
        using var xGrad = x.detach().requires_grad_(true);

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            foreach (var kind in Enum.GetValues<ActivationKind>())
            {
                using var y = Apply(kind, x);
            }
            using var step = Activation.BinaryStep(xGrad);
            using var module = Activation.Create(ActivationKind.BinaryStep);
            using var fromModule = module.forward(x);
        });

        added.Should().Be(0);
    }

    [Test]
    public void LeakCheck_ActionThatLeaks_CountsEveryLeakedTensor()
    {
        // Guards the leak tests above: the check must be able to fail.
        var added = LeakCheck.LiveTensorsAddedBy(() => _ = ones(1), repetitions: 50);

        added.Should().Be(50);
    }

    [Test]
    [Category("CUDA")]
    public void Functions_OnCuda_StayOnTheInputsDevice()
    {
        if (!Devices.IsCudaAvailable)
        {
            Assert.Ignore("Needs CUDA (a TorchSharp CUDA backend and an NVIDIA GPU); not available here.");
        }
        using var cpu = tensor(new[] { -1f, 0f, float.NaN, 2f });
        using var x = cpu.cuda();

        foreach (var kind in Enum.GetValues<ActivationKind>())
        {
            using var y = Apply(kind, x);
            using var expected = Apply(kind, cpu);
            y.device_type.Should().Be(DeviceType.CUDA, kind.ToString());
            y.dtype.Should().Be(ScalarType.Float32);
            using var back = y.cpu();
            Values(back).Should().Equal(Values(expected), kind.ToString());
        }
    }

    private static Tensor Apply(ActivationKind kind, Tensor x) => kind switch
    {
        ActivationKind.BinaryStep => Activation.BinaryStep(x),
        ActivationKind.Sigmoid => Activation.Sigmoid(x),
        ActivationKind.Tanh => Activation.Tanh(x),
        ActivationKind.ReLU => Activation.ReLU(x),
        _ => Activation.Softmax(x, -1),
    };

    private static float[] Values(Tensor t)
    {
        using var detached = t.detach();
        using var contiguous = detached.contiguous();
        return contiguous.data<float>().ToArray();
    }

    /// <summary>Asserts <paramref name="actual"/> is within <paramref name="ulps"/> float32 units in the last place of
    /// <paramref name="expected"/> (computed in double): a relative tolerance that stays meaningful near 0.</summary>
    private static void ShouldBeWithinUlps(float actual, double expected, int ulps, string because)
    {
        var nearest = Math.Abs((float)expected);
        var ulp = MathF.BitIncrement(nearest) - nearest;
        actual.Should().NotBe(float.NaN, because);
        Math.Abs(actual - expected).Should().BeLessThanOrEqualTo(ulps * ulp, because);
    }
}
