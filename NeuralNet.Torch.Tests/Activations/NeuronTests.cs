using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Activations;

public sealed class NeuronTests
{
    // weights [0.5, -1, 2], bias 0.25. All values are exact in float32, so the weighted sums below are exact:
    //   x = [1, 2, 3]:      0.5*1 + (-1)*2 + 2*3 + 0.25   = 0.5 - 2 + 6 + 0.25     =  4.75
    //   x = [3, 2, -1]:     0.5*3 + (-1)*2 + 2*(-1) + 0.25 = 1.5 - 2 - 2 + 0.25     = -2.25
    //   x = [0.5, 1, 0.25]: 0.5*0.5 + (-1)*1 + 2*0.25 + 0.25 = 0.25 - 1 + 0.5 + 0.25 =  0   (the step's edge)
    private static readonly float[] Weights = [0.5f, -1f, 2f];
    private const float Bias = 0.25f;
    private static readonly float[] Batch = [1f, 2f, 3f, 3f, 2f, -1f, 0.5f, 1f, 0.25f];
    private static readonly double[] Sums = [4.75, -2.25, 0];

    // A float32 result of magnitude <= 4.75 carries at most half an ulp of 4 (2.4e-7) of rounding.
    private const float ValueTolerance = 5e-7f;

    [TestCase(ActivationKind.BinaryStep, new[] { 1.0, 0.0, 1.0 })]
    [TestCase(ActivationKind.Sigmoid, new[] { 0.99142251458629, 0.09534946489911, 0.5 })]
    [TestCase(ActivationKind.Tanh, new[] { 0.99985030754498, -0.97802611473881, 0.0 })]
    [TestCase(ActivationKind.ReLU, new[] { 4.75, 0.0, 0.0 })]
    public void Forward_HandComputedBatch_GivesActivationOfWeightedSumPlusBias(ActivationKind kind, double[] expected)
    {
        // step(4.75) = 1, step(-2.25) = 0, step(0) = 1;
        // sigmoid(4.75) = 1/(1 + e^-4.75) = 1/1.00865169520 = 0.99142251, sigmoid(-2.25) = 1/(1 + 9.48773584) = 0.09534946;
        // tanh(4.75) = 0.99985031, tanh(-2.25) = -0.97802611; relu: 4.75, 0, 0.
        using var neuron = new Neuron(Weights, Bias, kind);
        using var x = tensor(Batch).reshape(3, 3);

        using var y = neuron.forward(x);

        y.shape.Should().Equal(3);
        var v = y.detach().data<float>().ToArray();
        for (var i = 0; i < 3; i++)
        {
            v[i].Should().BeApproximately((float)expected[i], ValueTolerance, $"{kind} of the sum {Sums[i]}");
        }
        for (var i = 0; i < 3; i++)
        {
            expected[i].Should().BeApproximately(Reference(kind, Sums[i]), 1e-12, "the constants above are the formulas, evaluated in double");
        }
    }

    [TestCase(ActivationKind.BinaryStep)]
    [TestCase(ActivationKind.Sigmoid)]
    [TestCase(ActivationKind.Tanh)]
    [TestCase(ActivationKind.ReLU)]
    public void Forward_OneInputVector_GivesAScalarEqualToTheBatchRow(ActivationKind kind)
    {
        using var neuron = new Neuron(Weights, Bias, kind);
        using var batch = tensor(Batch).reshape(3, 3);
        using var batched = neuron.forward(batch);

        for (var i = 0; i < 3; i++)
        {
            using var row = tensor(Batch.AsSpan(i * 3, 3).ToArray());
            using var y = neuron.forward(row);
            y.shape.Should().BeEmpty("an input [n] gives a scalar tensor []");
            using var expected = batched[i];
            y.item<float>().Should().Be(expected.item<float>());
        }
    }

    [Test]
    public void Forward_HigherRankAndEmptyBatches_KeepTheLeadingDimensions()
    {
        using var neuron = new Neuron(4, ActivationKind.Tanh);
        using var cube = rand(2, 5, 4);
        using var empty = zeros(0, 4);

        using var fromCube = neuron.forward(cube);
        using var fromEmpty = neuron.forward(empty);

        fromCube.shape.Should().Equal(2, 5);
        fromEmpty.shape.Should().Equal(0);
    }

    [TestCase(ActivationKind.BinaryStep)]
    [TestCase(ActivationKind.Sigmoid)]
    [TestCase(ActivationKind.Tanh)]
    [TestCase(ActivationKind.ReLU)]
    public void Forward_EqualsLinearNTo1ThenTheActivation_WithTheSameWeights(ActivationKind kind)
    {
        manual_seed(21);
        using var neuron = new Neuron(6, kind);
        using var linear = nn.Linear(6, 1);
        using var activation = Activation.Create(kind);
        using (no_grad())
        {
            using var w = neuron.Weight.unsqueeze(0);
            using var b = neuron.Bias.reshape(1);
            linear.weight!.copy_(w);
            linear.bias!.copy_(b);
        }
        using var x = randn(32, 6) * 3;

        using var fromNeuron = neuron.forward(x);
        using var linearOut = linear.forward(x);
        using var activated = activation.forward(linearOut);
        using var fromLinear = activated.squeeze(-1);

        fromNeuron.shape.Should().Equal(32);
        // Six products of |x| ~ 3 and |w| <= 0.41 summed in a different order (mv vs addmm): the sums agree within
        // a few float32 ulps of ~5, and every activation here has slope <= 1.
        using var difference = (fromNeuron - fromLinear).abs();
        difference.max().item<float>().Should().BeLessThanOrEqualTo(2e-6f);
    }

    [Test]
    public void Constructor_Seeded_InitialisesExactlyAsLinearNTo1()
    {
        manual_seed(5);
        using var neuron = new Neuron(5, ActivationKind.ReLU);
        manual_seed(5);
        using var linear = nn.Linear(5, 1);

        neuron.Weight.data<float>().ToArray().Should().Equal(linear.weight!.data<float>().ToArray());
        neuron.Bias.item<float>().Should().Be(linear.bias!.item<float>());
        var bound = 1 / MathF.Sqrt(5);
        neuron.Weight.abs().max().item<float>().Should().BeLessThanOrEqualTo(bound);
    }

    [Test]
    public void Parameters_AreWeightAndBias_WithLinearsNames_AndTheActivationIsAChild()
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.Sigmoid);

        neuron.named_parameters().Select(p => p.name).Should().Equal("weight", "bias");
        neuron.Weight.shape.Should().Equal(3);
        neuron.Bias.shape.Should().BeEmpty();
        neuron.Weight.requires_grad.Should().BeTrue();
        neuron.named_children().Select(c => (c.name, c.module.GetType().Name)).Should().Equal(("activation", "Sigmoid"));
        neuron.InputCount.Should().Be(3);
        neuron.ActivationKind.Should().Be(ActivationKind.Sigmoid);
        neuron.Weight.data<float>().ToArray().Should().Equal(Weights);
        neuron.Bias.item<float>().Should().Be(Bias);
    }

    [Test]
    public void Constructor_CopiesTheWeights_LaterArrayChangesDoNotReachTheNeuron()
    {
        var weights = new[] { 1f, 2f };
        using var neuron = new Neuron(weights, 0f, ActivationKind.ReLU);

        weights[0] = 100f;

        neuron.Weight.data<float>().ToArray().Should().Equal(1f, 2f);
    }

    [Test]
    public void Backward_Sigmoid_GivesTheChainRuleGradients()
    {
        // z = 4.75 for x = [1, 2, 3]; d sigmoid(z)/dz = s(1 - s) with s = 0.99142251;
        // dL/dw = s(1 - s) * x, dL/db = s(1 - s).
        using var neuron = new Neuron(Weights, Bias, ActivationKind.Sigmoid);
        using var x = tensor(new[] { 1f, 2f, 3f });

        using var y = neuron.forward(x);
        y.backward();

        var s = 1 / (1 + Math.Exp(-4.75));
        var slope = s * (1 - s);
        using var weightGrad = neuron.Weight.grad!;
        using var biasGrad = neuron.Bias.grad!;
        var gw = weightGrad.data<float>().ToArray();
        // slope = 0.0085; computed from the float32 s, whose 1 - s keeps s's absolute rounding (3e-8): 1e-7 per unit of x.
        gw[0].Should().BeApproximately((float)(slope * 1), 1e-7f);
        gw[1].Should().BeApproximately((float)(slope * 2), 2e-7f);
        gw[2].Should().BeApproximately((float)(slope * 3), 3e-7f);
        biasGrad.item<float>().Should().BeApproximately((float)slope, 1e-7f);
    }

    [Test]
    public void Forward_NaNInOneSample_GivesNaNForThatSampleOnly()
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.ReLU);
        using var x = tensor(new[] { 1f, float.NaN, 3f, 1f, 2f, 3f }).reshape(2, 3);

        using var y = neuron.forward(x);

        var v = y.detach().data<float>().ToArray();
        float.IsNaN(v[0]).Should().BeTrue();
        v[1].Should().Be(4.75f);
    }

    [TestCase(new long[] { 4 }, "*Expected 3 input(s) per sample*found 4 input(s)*[4]*")]
    [TestCase(new long[] { 2, 5 }, "*Expected 3 input(s) per sample*found 5 input(s)*[2, 5]*")]
    [TestCase(new long[] { 3, 1 }, "*Expected 3 input(s) per sample*found 1 input(s)*[3, 1]*")]
    [TestCase(new long[0], "*Expected 3 input(s) per sample*found a scalar*")]
    public void Forward_WrongNumberOfInputs_ThrowsNamingExpectedAndFoundLengths(long[] shape, string message)
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.Tanh);
        using var x = zeros(shape);

        var act = () => neuron.forward(x);

        act.Should().Throw<ArgumentException>().WithMessage(message).Which.ParamName.Should().Be("inputs");
    }

    [Test]
    public void Forward_OtherDtype_ThrowsNamingBoth_ButWorksAfterConvertingTheNeuron()
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.ReLU);
        using var x = tensor(new[] { 1.0, 2.0, 3.0 });

        var act = () => neuron.forward(x);

        act.Should().Throw<ArgumentException>().WithMessage("*dtype Float32*found dtype Float64*");
        neuron.to(ScalarType.Float64);
        using var y = neuron.forward(x);
        y.dtype.Should().Be(ScalarType.Float64);
        y.item<double>().Should().Be(4.75);
    }

    [Test]
    public void Forward_NullInput_Throws()
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.ReLU);

        var act = () => neuron.forward(null!);

        act.Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void Constructor_NullWeights_Throws()
    {
        var act = () => new Neuron(null!, 0f, ActivationKind.ReLU);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("weights");
    }

    [Test]
    public void Constructor_EmptyWeights_Throws()
    {
        var act = () => new Neuron([], 0f, ActivationKind.ReLU);

        act.Should().Throw<ArgumentException>().WithMessage("*at least one weight*").Which.ParamName.Should().Be("weights");
    }

    [TestCase(0)]
    [TestCase(-3)]
    public void Constructor_NonPositiveInputCount_Throws(int inputCount)
    {
        var act = () => new Neuron(inputCount, ActivationKind.ReLU);

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("inputCount");
    }

    [Test]
    public void Constructor_Softmax_ThrowsExplainingWhy()
    {
        var fromWeights = () => new Neuron(Weights, Bias, ActivationKind.Softmax);
        var fromCount = () => new Neuron(3, ActivationKind.Softmax);

        fromWeights.Should().Throw<ArgumentException>().WithMessage("*Softmax*always 1*").Which.ParamName.Should().Be("activation");
        fromCount.Should().Throw<ArgumentException>().WithMessage("*Softmax*always 1*");
    }

    [Test]
    public void Constructor_UndefinedActivation_Throws()
    {
        var act = () => new Neuron(Weights, Bias, (ActivationKind)9);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*BinaryStep, Sigmoid, Tanh, ReLU, Softmax*");
    }

    [Test]
    public void Forward_ManyCalls_LeaveNoLiveTensors()
    {
        using var neuron = new Neuron(Weights, Bias, ActivationKind.BinaryStep);
        using var sigmoidNeuron = new Neuron(Weights, Bias, ActivationKind.Sigmoid);
        using var x = tensor(Batch).reshape(3, 3);
        using var row = tensor(Weights);

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            using var a = neuron.forward(x);
            using var b = neuron.forward(row);
            using var c = sigmoidNeuron.forward(x);
        });

        added.Should().Be(0);
    }

    [Test]
    public void ConstructAndDispose_AddsNoMoreLiveTensorsThanLinear()
    {
        // TorchSharp's Parameter takes over its tensor's handle without lowering Tensor.TotalCount, so even
        // nn.Linear leaves its count 2 higher per construction (no native memory is held). A neuron must not add more.
        var linear = LeakCheck.LiveTensorsAddedBy(() =>
        {
            using var l = nn.Linear(3, 1);
        }, repetitions: 20);
        var neuron = LeakCheck.LiveTensorsAddedBy(() =>
        {
            using var n = new Neuron(Weights, Bias, ActivationKind.Tanh);
            using var m = new Neuron(3, ActivationKind.Tanh);
        }, repetitions: 10);

        neuron.Should().BeLessThanOrEqualTo(linear);
    }

    private static double Reference(ActivationKind kind, double z) => kind switch
    {
        ActivationKind.BinaryStep => z >= 0 ? 1 : 0,
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-z)),
        ActivationKind.Tanh => (Math.Exp(z) - Math.Exp(-z)) / (Math.Exp(z) + Math.Exp(-z)),
        _ => Math.Max(0, z),
    };
}
