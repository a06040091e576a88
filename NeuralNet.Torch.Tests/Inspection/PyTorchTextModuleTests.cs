using NeuralNet.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

// Expected texts follow nn.Module.__repr__ / _addindent and each layer's extra_repr (pytorch-formats.md sections 1
// and 2; LeakyReLU, ReLU6 and Dropout from torch/nn/modules/activation.py and dropout.py).
public sealed class PyTorchTextModuleTests
{
    [Test]
    public void ToPyTorchString_DocumentedModel_PrintsTheElevenLinesPyTorchPrints()
    {
        using var model = new NeuralNetwork();

        var text = model.ToPyTorchString();

        text.Should().Be(OfficialOutput.DocumentedModelText);
        text.Split('\n').Should().HaveCount(11);
    }

    [Test]
    public void ToPyTorchString_QuickstartModel_PrintsTheTenLinesOfTheOfficialPage()
    {
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        var text = model.ToPyTorchString();

        text.Should().Be(OfficialOutput.QuickstartModelText);
        text.Split('\n').Should().HaveCount(10);
    }

    private static IEnumerable<TestCaseData> Leaves()
    {
        yield return Case(() => nn.Linear(784, 512), "Linear(in_features=784, out_features=512, bias=True)");
        yield return Case(() => nn.Linear(3, 4, hasBias: false), "Linear(in_features=3, out_features=4, bias=False)");
        yield return Case(() => nn.Flatten(), "Flatten(start_dim=1, end_dim=-1)");
        yield return Case(() => nn.Flatten(0, 2), "Flatten(start_dim=0, end_dim=2)");
        yield return Case(() => nn.ReLU(), "ReLU()");
        yield return Case(() => nn.ReLU(inplace: true), "ReLU(inplace=True)");
        yield return Case(() => nn.ReLU6(), "ReLU6()");
        yield return Case(() => nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)");
        yield return Case(() => nn.LeakyReLU(0.2, inplace: true), "LeakyReLU(negative_slope=0.2, inplace=True)");
        yield return Case(() => nn.Sigmoid(), "Sigmoid()");
        yield return Case(() => nn.Tanh(), "Tanh()");
        yield return Case(() => nn.Softmax(1), "Softmax(dim=1)");
        yield return Case(() => nn.LogSoftmax(1), "LogSoftmax(dim=1)");
        yield return Case(() => nn.Softmin(0), "Softmin(dim=0)");
        yield return Case(() => nn.Dropout(), "Dropout(p=0.5, inplace=False)");
        yield return Case(() => nn.Dropout(0.25, inplace: true), "Dropout(p=0.25, inplace=True)");
        yield return Case(() => nn.Identity(), "Identity()");
        yield return Case(() => nn.Sequential(), "Sequential()");

        static TestCaseData Case(Func<nn.Module> make, string expected) =>
            new TestCaseData(make, expected).SetArgDisplayNames(expected);
    }

    [TestCaseSource(nameof(Leaves))]
    public void ToPyTorchString_Leaf_PrintsNameAndExtraReprOnOneLine(Func<nn.Module> make, string expected)
    {
        using var module = make();

        module.ToPyTorchString().Should().Be(expected);
    }

    [Test]
    public void ToPyTorchString_UnknownModuleWithNestedChildren_PrintsTypeNameAndIndentsTwoSpacesPerLevel()
    {
        using var model = new Outer();

        // Outer and Inner are the user's own types: no extra text, just their names and children.
        model.ToPyTorchString().Should().Be(
            "Outer(\n" +
            "  (inner): Inner(\n" +
            "    (stack): Sequential(\n" +
            "      (0): Sequential(\n" +
            "        (0): Linear(in_features=2, out_features=3, bias=True)\n" +
            "        (1): Tanh()\n" +
            "      )\n" +
            "      (1): Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1))\n" +
            "    )\n" +
            "  )\n" +
            "  (head): Softmax(dim=1)\n" +
            ")");
    }

    [Test]
    public void ToPyTorchString_ModuleWithOneLineExtraRepr_PrintsItInsideTheParentheses()
    {
        using var step = new Step(0.5);

        step.ToPyTorchString().Should().Be("Step(threshold=0.5)");
    }

    [Test]
    public void ToPyTorchString_ModuleWithMultiLineExtraReprAndChildren_PrintsExtraLinesBeforeChildren()
    {
        using var block = new Block();

        block.ToPyTorchString().Should().Be(
            "Block(\n" +
            "  name=block\n" +
            "  scale=2\n" +
            "  (act): ReLU()\n" +
            ")");
    }

    [Test]
    public void ToPyTorchString_ExtraReprModuleInsideSequential_PrintsItsTextAsAChild()
    {
        using var model = nn.Sequential(("gate", new Step(1.0)));

        model.ToPyTorchString().Should().Be("Sequential(\n  (gate): Step(threshold=1.0)\n)");
    }

    [Test]
    public void ToPyTorchString_NullModule_ThrowsArgumentNullException()
    {
        var act = () => ((nn.Module)null!).ToPyTorchString();

        act.Should().Throw<ArgumentNullException>();
    }

    private sealed class Inner : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field names are the module keys
        private readonly Sequential stack;
#pragma warning restore IDE1006

        public Inner()
            : base(nameof(Inner))
        {
            stack = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Tanh()), nn.Conv2d(1, 1, 3));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => stack.call(input);
    }

    private sealed class Outer : nn.Module<Tensor, Tensor>
    {
        private readonly Inner inner;
        private readonly Softmax head;

        public Outer()
            : base(nameof(Outer))
        {
            inner = new Inner();
            head = nn.Softmax(1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => head.call(inner.call(input));
    }

    private sealed class Step(double threshold) : nn.Module<Tensor, Tensor>(nameof(Step)), IExtraRepr
    {
        public string ExtraRepr() => $"threshold={PythonFormat.Repr(threshold)}";

        public override Tensor forward(Tensor input) => input.ge(threshold).to_type(input.dtype);
    }

    private sealed class Block : nn.Module<Tensor, Tensor>, IExtraRepr
    {
        private readonly ReLU act;

        public Block()
            : base(nameof(Block))
        {
            act = nn.ReLU();
            RegisterComponents();
        }

        public string ExtraRepr() => "name=block\nscale=2";

        public override Tensor forward(Tensor input) => act.call(input);
    }
}
