using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Inspection.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>The layer table's rules that the oracle (PyTorch 1.13) cannot show: PyTorch 2.x texts, the int-or-tuple
/// rule, TorchSharp-only settings, and refusals. The byte-for-byte checks against torch are ModuleTextOracleTests.</summary>
public sealed class LayerTextTests
{
    [Test]
    public void Table_EveryTorchSharpModuleType_HasAnEntry()
    {
        var moduleTypes = typeof(nn.Module).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(nn.Module).IsAssignableFrom(t) && t.Namespace == "TorchSharp.Modules")
            .ToList();

        moduleTypes.Should().HaveCountGreaterThan(100);
        moduleTypes.Where(t => LayerTextTable.Default.Find(t) is null).Select(t => t.Name).Should().BeEmpty();
    }

    [Test]
    public void ToPyTorchString_ModuleListWithRepeatedChildren_CollapsesRunsAsPyTorch2Does()
    {
        using var list = nn.ModuleList(nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2), nn.Sequential(nn.Tanh()), nn.Sequential(nn.Tanh()));

        // PyTorch 2.x, torch/nn/modules/container.py (pytorch/pytorch@67de33e9) ModuleList.__repr__ "compresses
        // repeated module representations" into "(start-end): n x repr"; PyTorch 1.13 printed every child.
        list.ToPyTorchString().Should().Be(
            "ModuleList(\n" +
            "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n" +
            "  (3): ReLU()\n" +
            "  (4): Linear(in_features=2, out_features=2, bias=True)\n" +
            "  (5-6): 2 x Sequential(\n" +
            "    (0): Tanh()\n" +
            "  )\n" +
            ")");
    }

    [Test]
    public void ToPyTorchString_PoolingSizesWithEqualElements_PrintTheIntForm()
    {
        using var pool = nn.MaxPool2d([2, 2], stride: [3, 1]);

        // TorchSharp keeps [2, 2] whether the user wrote 2 or (2, 2); the int form is what nearly every PyTorch model
        // writes (PyTorch prints (2, 2) only when the tuple was written).
        pool.ToPyTorchString().Should().Be("MaxPool2d(kernel_size=2, stride=(3, 1), padding=0, dilation=1, ceil_mode=False)");
    }

    [Test]
    public void ToPyTorchString_SoftplusDefaults_PrintAsFloats()
    {
        using var softplus = nn.Softplus();

        // TorchSharp keeps beta and threshold as doubles, and a float prints as Python prints it. PyTorch 1.13's
        // defaults are the ints 1 and 20 (it prints Softplus(beta=1, threshold=20)); written as floats, as in the
        // oracle test, both print the same.
        softplus.ToPyTorchString().Should().Be("Softplus(beta=1.0, threshold=20.0)");
    }

    [Test]
    public void ToPyTorchString_TorchSharpOnlyInplace_IsNotPrinted()
    {
        using var model = nn.Sequential(nn.Sigmoid(inplace: true), nn.Tanh(inplace: true), nn.GELU(inplace: true));

        // PyTorch's Sigmoid, Tanh and GELU have no inplace option, so it has no text for one.
        model.ToPyTorchString().Should().Be("Sequential(\n  (0): Sigmoid()\n  (1): Tanh()\n  (2): GELU(approximate='none')\n)");
    }

    [Test]
    public void ToPyTorchString_SettingTorchSharpDroppedInsideAModel_ThrowsNamingThePathAndType()
    {
        using var model = nn.Sequential(("features", nn.Sequential(nn.ReLU(), nn.AdaptiveMaxPool3d([2, 2, 2]))));

        var act = () => model.ToPyTorchString();

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot print 'features.1' (TorchSharp.Modules.AdaptiveMaxPool3d) as PyTorch does: its output_size is not set*");
    }

    [Test]
    public void ToPyTorchString_ComplexParameterInAParameterList_ThrowsNamingThePath()
    {
        using var model = nn.ModuleDict(("params", nn.ParameterList(new Parameter(zeros(2, ScalarType.ComplexFloat32)))));

        var act = () => model.ToPyTorchString();

        act.Should().Throw<NotSupportedException>().WithMessage("Cannot print 'params' (TorchSharp.Modules.ParameterList)*ComplexFloat32*");
    }

    [Test]
    public void ToPyTorchString_AnyModel_LeavesTheModuleUnchanged()
    {
        using var model = new Holder();
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var childrenBefore = model.named_modules().Select(m => m.name).ToList();

        _ = model.ToPyTorchString();
        _ = model.ToPyTorchString();

        model.training.Should().BeTrue();
        model.named_modules().Select(m => m.name).Should().Equal(childrenBefore);
        var after = model.state_dict();
        after.Keys.Should().Equal(before.Keys);
        foreach (var (key, value) in before)
        {
            after[key].allclose(value, rtol: 0, atol: 0).Should().BeTrue(key);
            value.Dispose();
        }
        // The unregistered list is printed from its items and stays unregistered.
        model.Loose.named_children().Should().BeEmpty();
    }

    private sealed class Holder : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field names are the module keys
        private readonly BatchNorm2d norm;
        private readonly Conv2d conv;
        private readonly LSTM lstm;
        private readonly ModuleList<nn.Module> loose;
#pragma warning restore IDE1006

        public Holder()
            : base(nameof(Holder))
        {
            norm = nn.BatchNorm2d(3);
            conv = nn.Conv2d(3, 3, 1);
            lstm = nn.LSTM(3, 4, batchFirst: true);
            RegisterComponents();
            // Made after registration, so it stays a plain field: not a child, not in the state_dict.
            loose = nn.ModuleList<nn.Module>(nn.Linear(1, 1));
        }

        public ModuleList<nn.Module> Loose => loose;

        public override Tensor forward(Tensor input) => conv.call(norm.call(input));
    }
}
