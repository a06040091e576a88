using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

public sealed class ModelSummaryTests
{
    [Test]
    public void Create_DocumentedModel_CountsParametersMemoryAndMultiplyAccumulates()
    {
        using var model = new NeuralNetwork();

        var summary = ModelSummary.Create(model, 1, 28, 28);

        // 784*512+512 + 512*512+512 + 512*10+10 = 669,706 float32 parameters of 4 bytes; one sample's forward pass
        // multiplies and adds 784*512 + 512*512 + 512*10 = 668,672 times.
        summary.TotalParameters.Should().Be(669_706);
        summary.TrainableParameters.Should().Be(669_706);
        summary.NonTrainableParameters.Should().Be(0);
        summary.ParameterBytes.Should().Be(2_678_824);
        summary.MultiplyAccumulatesPerSample.Should().Be(668_672);
        summary.UncountedLayers.Should().BeEmpty();
        summary.InputShape.Should().Equal(1, 28, 28);
        summary.OutputShape.Should().Equal(1, 10);
    }

    [Test]
    public void Create_DocumentedModel_RecordsEveryLayersOutputShapeFromTheForwardPass()
    {
        using var model = new NeuralNetwork();

        var layers = ModelSummary.Create(model, 3, 1, 28, 28).Layers;

        layers.Select(l => (l.Name, l.TypeName, l.Depth)).Should().Equal(
            ("", "NeuralNetwork", 0), ("flatten", "Flatten", 1), ("linear_relu_stack", "Sequential", 1),
            ("linear_relu_stack.0", "Linear", 2), ("linear_relu_stack.1", "ReLU", 2),
            ("linear_relu_stack.2", "Linear", 2), ("linear_relu_stack.3", "ReLU", 2),
            ("linear_relu_stack.4", "Linear", 2), ("linear_relu_stack.5", "ReLU", 2));
        layers.Select(l => string.Join("x", l.OutputShape!)).Should().Equal(
            "3x10", "3x784", "3x10", "3x512", "3x512", "3x512", "3x512", "3x10", "3x10");
        layers.Select(l => l.ParameterCount).Should().Equal(669_706, 0, 669_706, 401_920, 0, 262_656, 0, 5_130, 0);
    }

    [Test]
    public void Create_BatchOfFour_ReportsMultiplyAccumulatesPerSample()
    {
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        var summary = ModelSummary.Create(model, 4, 28, 28);

        summary.MultiplyAccumulatesPerSample.Should().Be(668_672);
        summary.OutputShape.Should().Equal(4, 10);
    }

    [Test]
    public void ToString_DocumentedModel_IsTheTable()
    {
        using var model = new NeuralNetwork();

        var text = ModelSummary.Create(model, 1, 28, 28).ToString();

        text.Should().Be(
            "==================================================================\n" +
            "Layer (type)                      Output Shape  Param #  Trainable\n" +
            "==================================================================\n" +
            "NeuralNetwork                     [1, 10]       669,706  True\n" +
            "  flatten (Flatten)               [1, 784]            0  --\n" +
            "  linear_relu_stack (Sequential)  [1, 10]       669,706  True\n" +
            "    0 (Linear)                    [1, 512]      401,920  True\n" +
            "    1 (ReLU)                      [1, 512]            0  --\n" +
            "    2 (Linear)                    [1, 512]      262,656  True\n" +
            "    3 (ReLU)                      [1, 512]            0  --\n" +
            "    4 (Linear)                    [1, 10]         5,130  True\n" +
            "    5 (ReLU)                      [1, 10]             0  --\n" +
            "==================================================================\n" +
            "Total params: 669,706\n" +
            "Trainable params: 669,706\n" +
            "Non-trainable params: 0\n" +
            "Params size: 2,678,824 bytes (2.68 MB)\n" +
            "Input shape: [1, 28, 28]\n" +
            "Output shape: [1, 10]\n" +
            "Mult-adds per sample: 668,672\n" +
            "==================================================================\n");
    }

    [Test]
    public void Create_FrozenFirstLayer_CountsItAsNonTrainable()
    {
        using var model = new NeuralNetwork();
        foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.StartsWith("linear_relu_stack.0.", StringComparison.Ordinal)))
        {
            parameter.requires_grad = false;
        }

        var summary = ModelSummary.Create(model, 1, 28, 28);

        summary.TrainableParameters.Should().Be(669_706 - 401_920);
        summary.NonTrainableParameters.Should().Be(401_920);
        summary.ToString().Should().Contain("    0 (Linear)                    [1, 512]      401,920  False\n")
            .And.Contain("NeuralNetwork                     [1, 10]       669,706  Partial\n");
    }

    [Test]
    public void Create_ImageOneColumnShort_NamesTheLinearLayerWhereShapesStopFitting()
    {
        using var model = new NeuralNetwork();

        var act = () => ModelSummary.Create(model, 1, 28, 27);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Input shape [1, 28, 27] does not fit the model: layer 'linear_relu_stack.0' " +
            "(Linear(in_features=784, out_features=512, bias=True)) could not take its input of shape [1, 756]; " +
            "Linear expects the last dimension to be in_features=784.*")
            .Which.InnerException.Should().NotBeNull();
    }

    [Test]
    public void Create_OneDimensionalInput_NamesTheFlattenLayer()
    {
        using var model = new NeuralNetwork();

        var act = () => ModelSummary.Create(model, 784);

        act.Should().Throw<ArgumentException>().WithMessage(
            "Input shape [784] does not fit the model: layer 'flatten' (Flatten(start_dim=1, end_dim=-1)) " +
            "could not take its input of shape [784].*");
    }

    [Test]
    public void Create_AfterAFailure_RestoresTrainingModeAndStillWorks()
    {
        using var model = new NeuralNetwork();
        model.train();

        var failing = () => ModelSummary.Create(model, 1, 28, 27);
        failing.Should().Throw<ArgumentException>();
        var summary = ModelSummary.Create(model, 1, 28, 28);

        model.training.Should().BeTrue();
        summary.MultiplyAccumulatesPerSample.Should().Be(668_672);
    }

    [Test]
    public void Create_MixedTrainingModes_RestoresEachModulesMode()
    {
        using var model = new NeuralNetwork();
        model.train();
        var stack = model.named_children().Single(c => c.name == "linear_relu_stack").module;
        stack.eval();

        _ = ModelSummary.Create(model, 1, 28, 28);

        model.training.Should().BeTrue();
        model.named_children().Single(c => c.name == "flatten").module.training.Should().BeTrue();
        stack.training.Should().BeFalse();
        stack.named_children().Should().OnlyContain(c => !c.module.training);
    }

    [Test]
    public void Create_EvalModel_StaysInEvalMode()
    {
        using var model = new NeuralNetwork();
        model.eval();

        _ = ModelSummary.Create(model, 1, 28, 28);

        model.training.Should().BeFalse();
    }

    [Test]
    public void Create_LayerWithParametersItCannotCount_ReportsMultiplyAccumulatesAsUnknown()
    {
        using var model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.PReLU(2), nn.Flatten(), nn.Linear(2 * 26 * 26, 10));

        var summary = ModelSummary.Create(model, 1, 1, 28, 28);

        summary.MultiplyAccumulatesPerSample.Should().BeNull();
        summary.UncountedLayers.Should().Equal("1 (PReLU)");
        summary.Layers.Select(l => string.Join("x", l.OutputShape!)).Should().Equal("1x10", "1x2x26x26", "1x2x26x26", "1x1352", "1x10");
        summary.ToString().Should().Contain("Mult-adds per sample: unknown (not counted: 1 (PReLU))\n");
    }

    [Test]
    public void Create_NormalisationLayers_CountZeroAndKeepTheTotalKnown()
    {
        using var model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LayerNorm([2, 26, 26]), nn.GroupNorm(1, 2), nn.Flatten(), nn.Linear(2 * 26 * 26, 10));

        var summary = ModelSummary.Create(model, 1, 1, 28, 28);

        // Conv2d: 2 x 26 x 26 outputs x 1 input channel x 9 taps; Linear: 1352 inputs x 10 outputs; the norms 0.
        summary.UncountedLayers.Should().BeEmpty();
        summary.MultiplyAccumulatesPerSample.Should().Be(2 * 26 * 26 * 9 + 1352 * 10);
    }

    [Test]
    public void Create_StridedTransposedConvolution_CountsTheProductsOfEveryInputElement()
    {
        using var model = nn.Sequential(nn.ConvTranspose2d(2, 3, 3, stride: 2), nn.Flatten());

        var summary = ModelSummary.Create(model, 1, 2, 5, 5);

        // Each of the 2 x 5 x 5 inputs meets 3 output channels x 9 taps; the 11 x 11 output's inserted zeros are not products.
        summary.Layers[1].OutputShape.Should().Equal(1, 3, 11, 11);
        summary.MultiplyAccumulatesPerSample.Should().Be(2 * 5 * 5 * 3 * 9);
    }

    [TestCase(new long[0], TestName = "Create_EmptyShape_ThrowsArgumentException")]
    [TestCase(new long[] { 0, 28, 28 }, TestName = "Create_ZeroBatch_ThrowsArgumentException")]
    [TestCase(new long[] { 1, -28 }, TestName = "Create_NegativeDimension_ThrowsArgumentException")]
    public void Create_InvalidShape_ThrowsArgumentException(long[] shape)
    {
        using var model = new NeuralNetwork();

        var act = () => ModelSummary.Create(model, shape);

        act.Should().Throw<ArgumentException>().WithMessage("Expected an input shape with a batch dimension first*");
    }

    [Test]
    public void Create_NullArguments_ThrowArgumentNullException()
    {
        using var model = new NeuralNetwork();

        var noModel = () => ModelSummary.Create(null!, 1, 28, 28);
        var noShape = () => ModelSummary.Create(model, null!);

        noModel.Should().Throw<ArgumentNullException>();
        noShape.Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void Create_SucceedingAndFailing_LeavesNoLiveTensors()
    {
        using var model = new NeuralNetwork();

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            _ = ModelSummary.Create(model, 2, 28, 28);
            var failing = () => ModelSummary.Create(model, 1, 28, 27);
            failing.Should().Throw<ArgumentException>();
        }, repetitions: 3);

        added.Should().Be(0);
    }
    [Test]
    public void Create_TokenIds_RunsTheEmbeddingAndCountsItsLookupAsZero()
    {
        using var model = new Zoo.TextClassifier();
        using var tokens = torch.randint(0, 100, [2, 12], dtype: ScalarType.Int64);
        using var before = tokens.clone();

        var summary = ModelSummary.Create(model, tokens);

        summary.InputShape.Should().Equal(2, 12);
        summary.OutputShape.Should().Equal(2, 4);
        summary.Layers.Single(l => l.Name == "embedding").OutputShape.Should().Equal(2, 12, 16);
        summary.UncountedLayers.Should().BeEmpty();
        // GRU(16, 32): 12 steps x 3 gates x 32 x (16 + 32); Linear(32, 4): 32 x 4; Embedding: 0.
        summary.MultiplyAccumulatesPerSample.Should().Be((12 * 3 * 32 * (16 + 32)) + (32 * 4));
        tokens.allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Test]
    public void Create_ZeroDimOrEmptySampleInput_ThrowsArgumentException()
    {
        using var model = new NeuralNetwork();
        using var scalar = torch.tensor(1f);
        using var empty = torch.zeros(0, 28, 28);

        var zeroDim = () => ModelSummary.Create(model, scalar);
        var noSamples = () => ModelSummary.Create(model, empty);

        zeroDim.Should().Throw<ArgumentException>().WithMessage("Expected a sample input with a batch dimension first*found shape []*");
        noSamples.Should().Throw<ArgumentException>().WithMessage("*found shape [0, 28, 28]*");
    }

    [Test]
    public void Create_ConvolutionWithGroups_CountsInChannelsPerGroupTimesKernelPerOutputElement()
    {
        using var model = nn.Sequential(nn.Conv2d(4, 6, 3, padding: 1, groups: 2, bias: false));

        var summary = ModelSummary.Create(model, 1, 4, 8, 8);

        // 6 x 8 x 8 outputs, each 4 / 2 input channels x 3 x 3 kernel elements.
        summary.MultiplyAccumulatesPerSample.Should().Be(6 * 8 * 8 * 2 * 9);
    }

    [Test]
    public void Create_LinearCalledThroughForward_IsListedAsNotRun()
    {
        using var model = new DirectForward();

        var summary = ModelSummary.Create(model, 1, 3);

        // forward() skips the hooks, so the Linear is not seen running: it is listed with the modules that did not run.
        summary.LayersNotRun.Should().Equal("fc");
        summary.MultiplyAccumulatesPerSample.Should().Be(0);
        summary.UncountedLayers.Should().BeEmpty();
        summary.Layers.Single(l => l.Name == "fc").OutputShape.Should().BeNull();
    }

    [Test]
    public void Create_ForwardSkipsChildren_CountsWhatRanAndListsTheOutermostModulesThatDidNot()
    {
        using var model = new AuxBranchNet();
        model.train();

        var summary = ModelSummary.Create(model, 2, 1, 8, 8);

        // Eval mode skips aux (and its three children); spare never runs. Conv2d(1, 4, 3): 4 x 6 x 6 outputs x 9 taps;
        // fc: 36 inputs x 10 outputs. Their parameters still count: 40 + 370 + 50 + 110.
        summary.LayersNotRun.Should().Equal("aux", "spare");
        summary.MultiplyAccumulatesPerSample.Should().Be((4 * 6 * 6 * 9) + (36 * 10));
        summary.UncountedLayers.Should().BeEmpty();
        summary.TotalParameters.Should().Be(40 + 370 + 50 + 110);
        summary.Layers.Where(l => l.OutputShape is null).Select(l => l.Name).Should().Equal("aux", "aux.0", "aux.1", "aux.2", "spare");
        summary.ToString().Should().Contain("Mult-adds per sample: 1,656\nNot run (not counted): aux, spare\n=");
        model.training.Should().BeTrue();
    }

    [Test]
    public void ToString_EveryModuleRan_HasNoNotRunLine()
    {
        using var model = new NeuralNetwork();

        var summary = ModelSummary.Create(model, 1, 28, 28);

        summary.LayersNotRun.Should().BeEmpty();
        summary.ToString().Should().NotContain("Not run");
    }

    [Test]
    public void Create_SampleInput_LeavesNoLiveTensorsAndKeepsTheInput()
    {
        using var model = new NeuralNetwork();
        using var input = torch.rand(2, 28, 28);

        var added = LeakCheck.LiveTensorsAddedBy(() => _ = ModelSummary.Create(model, input), repetitions: 3);

        added.Should().Be(0);
        input.shape.Should().Equal(2, 28, 28);
    }

    [Test]
    public void Create_BilinearAndLstmCellInsideAModel_AreHookedAndCounted()
    {
        using var model = new TwoInputs();

        var summary = ModelSummary.Create(model, 2, 3);

        // Bilinear(3, 3, 5): 5 outputs x 3 x 3; LSTMCell(5, 4): one step, 4 gates x 4 x (5 + 4).
        summary.MultiplyAccumulatesPerSample.Should().Be((5 * 3 * 3) + (4 * 4 * (5 + 4)));
        summary.Layers.Select(l => $"{l.Name}:{string.Join("x", l.OutputShape ?? [])}").Should().Equal(":2x4", "bilinear:2x5", "cell:2x4");
    }

    private sealed class TwoInputs : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field names are the module keys
        private readonly TorchSharp.Modules.Bilinear bilinear;
        private readonly TorchSharp.Modules.LSTMCell cell;
#pragma warning restore IDE1006

        public TwoInputs()
            : base(nameof(TwoInputs))
        {
            bilinear = nn.Bilinear(3, 3, 5);
            cell = nn.LSTMCell(5, 4);
            RegisterComponents();
        }

        // TorchSharp's LSTMCell needs its state passed (without one it fails on a 0-size hidden state).
        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var state = (zeros(input.shape[0], 4), zeros(input.shape[0], 4));
            return cell.call(bilinear.call(input, input), state).Item1.MoveToOuterDisposeScope();
        }
    }

    private sealed class DirectForward : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field name: it is the module key
        private readonly TorchSharp.Modules.Linear fc;
#pragma warning restore IDE1006

        public DirectForward()
            : base(nameof(DirectForward))
        {
            fc = nn.Linear(3, 2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.forward(input);
    }
}
