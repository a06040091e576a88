using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

public sealed class StateDictReportTests
{
    [Test]
    public void Create_OwnParametersBuffersAndChildren_ListsThemInPyTorchsOrderNotTorchSharps()
    {
        using var model = new Scaled();

        var keys = StateDictReport.Create(model).Entries.Select(e => e.Key).ToList();

        // PyTorch: the module's own parameter, its own persistent buffer, then each child's entries.
        keys.Should().Equal("scale", "count", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var",
            "norm.num_batches_tracked", "fc.weight", "fc.bias");
        // TorchSharp's own state_dict() has the same keys with every parameter first.
        model.state_dict().Keys.Should().BeEquivalentTo(keys).And.NotEqual(keys);
    }

    [Test]
    public void Create_NonPersistentBuffer_IsLeftOutAsInPyTorch()
    {
        using var model = new Scaled();

        StateDictReport.Create(model).Entries.Select(e => e.Key).Should().NotContain("scratch");
    }

    [Test]
    public void Create_Entries_CarryDtypeShapeAndKind()
    {
        using var model = new Scaled();
        model.named_parameters().Single(p => p.name == "fc.bias").parameter.requires_grad = false;

        var entries = StateDictReport.Create(model).Entries.ToDictionary(e => e.Key);

        entries["scale"].ToString().Should().Be("scale float32 [] parameter");
        entries["count"].ToString().Should().Be("count int64 [2] buffer");
        entries["norm.num_batches_tracked"].ToString().Should().Be("norm.num_batches_tracked int64 [] buffer");
        entries["fc.weight"].ToString().Should().Be("fc.weight float32 [2, 3] parameter");
        entries["fc.bias"].ToString().Should().Be("fc.bias float32 [2] frozen parameter");
        entries["norm.running_mean"].IsTrainable.Should().BeFalse();
    }

    [Test]
    public void Compare_FileTheModuleSavedItself_Matches()
    {
        using var model = new Scaled();
        using var folder = new TempFolder();
        var path = folder.File("scaled.pth");
        model.SaveCheckpoint(path);

        StateDictReport.Compare(model, path).IsMatch.Should().BeTrue();
    }

    [Test]
    public void Compare_BadArguments_Throw()
    {
        using var model = new Scaled();

        var noModel = () => StateDictReport.Compare(null!, "x.pth");
        var noPath = () => StateDictReport.Compare(model, null!);
        var missing = () => StateDictReport.Compare(model, "/no/such/file.pth");
        var noReport = () => StateDictReport.Create(null!);

        noModel.Should().Throw<ArgumentNullException>();
        noPath.Should().Throw<ArgumentNullException>();
        noReport.Should().Throw<ArgumentNullException>();
        missing.Should().Throw<CheckpointException>();
    }

    private sealed class Scaled : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field names are the state_dict keys
        private readonly Parameter scale;
        private readonly BatchNorm1d norm;
        private readonly Linear fc;
#pragma warning restore IDE1006

        public Scaled()
            : base(nameof(Scaled))
        {
            scale = new Parameter(tensor(0.5f));
            norm = nn.BatchNorm1d(3);
            fc = nn.Linear(3, 2);
            RegisterComponents();
            register_buffer("count", zeros(2, ScalarType.Int64));
            register_buffer("scratch", zeros(3), persistent: false);
        }

        public override Tensor forward(Tensor input) => fc.call(norm.call(input)) * scale;
    }
}
