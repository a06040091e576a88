using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

public sealed class ParameterReportTests
{
    [Test]
    public void Create_OfficialParameterValuesOnCuda_ReprintsTheOfficialPagesLines()
    {
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        SetOfficialEdges(model);

        // The page ran on cuda:0; the report's device override prints that on this CPU-only machine.
        var report = ParameterReport.Create(model, 10, deviceText: "cuda:0");

        report.ModelText.Should().Be(OfficialOutput.QuickstartModelText);
        string.Concat(report.Parameters.Select(p => p.ToDocumentLine() + "\n\n")).Should().Be(OfficialOutput.ParameterLines);
    }

    [Test]
    [Category("CUDA")]
    public void Create_OfficialParameterValuesOnARealCudaDevice_ReprintsTheOfficialPagesLines()
    {
        if (!Devices.IsCudaAvailable)
        {
            Assert.Ignore("Needs CUDA (a TorchSharp CUDA backend and an NVIDIA GPU); not available here.");
        }
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        SetOfficialEdges(model);
        model.to(CUDA);

        var report = ParameterReport.Create(model);

        string.Concat(report.Parameters.Select(p => p.ToDocumentLine() + "\n\n")).Should().Be(OfficialOutput.ParameterLines);
    }

    [Test]
    public void ToString_DocumentedModelOnCpu_IsTheDocumentsStandardOutput()
    {
        using var model = new NeuralNetwork();
        SetOfficialEdges(model);

        var report = ParameterReport.Create(model);

        // print("Model structure: ", model, "\n\n") writes "Model structure: " + " " + repr + " " + "\n\n" + "\n".
        // Each f-string ends in " \n" and print adds "\n". On the CPU there is no device suffix: a weight's last data
        // line counts 71, and 71 + 24 + 2 > 80 puts grad_fn on its own line; a bias fits on one line.
        report.ToString().Should().Be(
            "Model structure:  " + OfficialOutput.DocumentedModelText + " \n\n\n" +
            "Layer: linear_relu_stack.0.weight | Size: torch.Size([512, 784]) | Values : tensor([[ 0.0273,  0.0296, -0.0084,  ..., -0.0142,  0.0093,  0.0135],\n" +
            "        [-0.0188, -0.0354,  0.0187,  ..., -0.0106, -0.0001,  0.0115]],\n" +
            "       grad_fn=<SliceBackward0>) \n" +
            "\n" +
            "Layer: linear_relu_stack.0.bias | Size: torch.Size([512]) | Values : tensor([-0.0155, -0.0327], grad_fn=<SliceBackward0>) \n" +
            "\n" +
            "Layer: linear_relu_stack.2.weight | Size: torch.Size([512, 512]) | Values : tensor([[ 0.0116,  0.0293, -0.0280,  ...,  0.0334, -0.0078,  0.0298],\n" +
            "        [ 0.0095,  0.0038,  0.0009,  ..., -0.0365, -0.0011, -0.0221]],\n" +
            "       grad_fn=<SliceBackward0>) \n" +
            "\n" +
            "Layer: linear_relu_stack.2.bias | Size: torch.Size([512]) | Values : tensor([ 0.0148, -0.0256], grad_fn=<SliceBackward0>) \n" +
            "\n" +
            "Layer: linear_relu_stack.4.weight | Size: torch.Size([10, 512]) | Values : tensor([[-0.0147, -0.0229,  0.0180,  ..., -0.0013,  0.0177,  0.0070],\n" +
            "        [-0.0202, -0.0417, -0.0279,  ..., -0.0441,  0.0185, -0.0268]],\n" +
            "       grad_fn=<SliceBackward0>) \n" +
            "\n" +
            "Layer: linear_relu_stack.4.bias | Size: torch.Size([10]) | Values : tensor([ 0.0070, -0.0411], grad_fn=<SliceBackward0>) \n" +
            "\n");
    }

    [Test]
    public void Create_SeededModel_EntriesCarryNamesShapesCountsAndFirstValues()
    {
        torch.manual_seed(11);
        using var model = new NeuralNetwork();

        var report = ParameterReport.Create(model, firstValueCount: 4);

        report.Parameters.Select(p => p.Name).Should().Equal(
            "linear_relu_stack.0.weight", "linear_relu_stack.0.bias", "linear_relu_stack.2.weight",
            "linear_relu_stack.2.bias", "linear_relu_stack.4.weight", "linear_relu_stack.4.bias");
        report.Parameters.Select(p => p.Size).Should().Equal(
            "torch.Size([512, 784])", "torch.Size([512])", "torch.Size([512, 512])",
            "torch.Size([512])", "torch.Size([10, 512])", "torch.Size([10])");
        report.Parameters.Select(p => p.ElementCount).Should().Equal(401_408, 512, 262_144, 512, 5_120, 10);
        report.TotalElements.Should().Be(669_706);
        report.Parameters.Should().OnlyContain(p => p.RequiresGrad);
        foreach (var (entry, parameter) in report.Parameters.Zip(model.parameters()))
        {
            using var flat = parameter.detach().reshape(-1);
            var expected = flat.data<float>().Take(4).Select(v => (double)v);
            entry.FirstValues.Should().Equal(expected, because: entry.Name);
            entry.Shape.Should().Equal(parameter.shape);
        }
    }

    [Test]
    public void Create_FrozenParameter_PrintsNoAutogradSuffix()
    {
        using var model = new NeuralNetwork();
        SetOfficialEdges(model);
        model.named_parameters().Single(p => p.name == "linear_relu_stack.4.bias").parameter.requires_grad = false;

        var entry = ParameterReport.Create(model).Parameters[^1];

        // param[:2] of a parameter that does not require grad has no grad_fn and prints no suffix.
        entry.RequiresGrad.Should().BeFalse();
        entry.ToDocumentLine().Should().Be("Layer: linear_relu_stack.4.bias | Size: torch.Size([10]) | Values : tensor([ 0.0070, -0.0411]) ");
    }

    [Test]
    public void Create_ZeroDimParameter_ShowsTheValueWithRequiresGrad()
    {
        using var model = new Scaled();

        var entry = ParameterReport.Create(model).Parameters.Single();

        entry.ToDocumentLine().Should().Be("Layer: scale | Size: torch.Size([]) | Values : tensor(0.5000, requires_grad=True) ");
        entry.FirstValues.Should().Equal(0.5);
    }

    [Test]
    public void Create_DocumentedModel_LeavesNoLiveTensorsAndKeepsTheParameters()
    {
        torch.manual_seed(3);
        using var model = new NeuralNetwork();
        using var before = model.parameters().First().detach().clone();

        var added = LeakCheck.LiveTensorsAddedBy(() => _ = ParameterReport.Create(model).ToString(), repetitions: 5);

        added.Should().Be(0);
        model.parameters().First().allclose(before, rtol: 0, atol: 0).Should().BeTrue();
    }

    [Test]
    public void Create_ComplexParameter_ThrowsNotSupportedNamingIt()
    {
        using var model = new Complex();

        var act = () => ParameterReport.Create(model);

        act.Should().Throw<NotSupportedException>().WithMessage("Cannot print parameter 'phase': *ComplexFloat32*");
    }

    [Test]
    public void Create_InvalidArguments_Throw()
    {
        using var model = new NeuralNetwork();

        var noModel = () => ParameterReport.Create(null!);
        var negative = () => ParameterReport.Create(model, -1);

        noModel.Should().Throw<ArgumentNullException>();
        negative.Should().Throw<ArgumentOutOfRangeException>();
    }

    /// <summary>Writes the page's shown values into <c>param[:2]</c> of each parameter (zeros elsewhere).</summary>
    private static void SetOfficialEdges(NeuralNetwork model)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var noGrad = no_grad();
        foreach (var (name, rows) in OfficialOutput.ParameterEdges)
        {
            var parameter = parameters[name];
            var shape = parameter.shape;
            var values = new float[parameter.numel()];
            if (shape.Length == 1)
            {
                rows[0].CopyTo(values, 0);
            }
            else
            {
                var width = (int)shape[1];
                for (var r = 0; r < rows.Length; r++)
                {
                    Array.Copy(rows[r], 0, values, r * width, 3);
                    Array.Copy(rows[r], 3, values, (r * width) + width - 3, 3);
                }
            }
            using var source = tensor(values, shape);
            parameter.copy_(source);
        }
    }

    private sealed class Complex : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field name: it is the parameter's key
        private readonly Parameter phase;
#pragma warning restore IDE1006

        public Complex()
            : base(nameof(Complex))
        {
            phase = new Parameter(zeros(new long[] { 2 }, ScalarType.ComplexFloat32));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => input * phase;
    }

    private sealed class Scaled : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // PyTorch-style field name: it is the parameter's key
        private readonly Parameter scale;
#pragma warning restore IDE1006

        public Scaled()
            : base(nameof(Scaled))
        {
            scale = new Parameter(tensor(0.5f));
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => input * scale;
    }
}
