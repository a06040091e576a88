using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>A module that declares nothing but whose forward is the chain of its children in registration order
/// exports once a probe forward confirms it (the graphs themselves run against libtorch in
/// <see cref="LayerExportTests"/> and through onnx.checker in <see cref="OnnxCheckerTests"/>); one whose forward is
/// anything else is refused naming it, before a byte is written.</summary>
public sealed class UndeclaredChainTests
{
    /// <summary>What every refusal of an undeclared module whose forward is not its chain ends with.</summary>
    private const string GraphShaped =
        "; a graph-shaped forward (a residual add, a branch, a concatenation) needs a declaration of its graph, and " +
        "ISequentialModule declares only chains: export the model from PyTorch with torch.onnx.export, or serve it as " +
        "TorchScript (torch.jit.save in PyTorch, torch.jit.load in TorchSharp).";

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void ExportOnnx_UndeclaredLeNet_RunsInOnnxRuntimeWithLibTorchsLogits()
    {
        manual_seed(60);
        using var model = new UndeclaredLeNet();
        model.eval();
        using var input = randn(4, 1, 28, 28);
        using var expected = Forward(model, input);
        var path = _folder.File("lenet.onnx");

        var info = model.ExportOnnx(path, new OnnxExportOptions { InputShape = [1, 28, 28] });

        info.Operators.Should().Equal("Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm");
        info.OutputShape.Should().Equal(10);
        using var onnx = new OnnxRuntimeModel(File.ReadAllBytes(path));
        var (values, shape) = onnx.Run(input);
        shape.Should().Equal(4, 10);
        // float32 sums in another order by another engine's kernels: a few 1e-7 on logits of order 0.1.
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Test]
    public void ExportOnnx_UndeclaredChain_ProbeLeavesModesAndTheGlobalGeneratorAsTheyWere()
    {
        using var model = Sequential(("block", new UndeclaredBlock(4)), ("act", ReLU()));
        model.train();
        model.named_children().First().module.eval();
        manual_seed(61);
        using var expected = randn(8);
        manual_seed(61);

        model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { VerifySequentialModules = false });

        using var drawn = randn(8);
        drawn.data<float>().ToArray().Should().Equal(expected.data<float>().ToArray(), "the probe draws its batch from a generator of its own");
        model.training.Should().BeTrue();
        model.named_modules().Where(m => m.name.Length > 0).ToDictionary(m => m.name, m => m.module.training).Should().Equal(
            new Dictionary<string, bool> { ["block"] = false, ["block.fc"] = false, ["act"] = true });
    }

    [Test]
    public void ExportOnnx_ResidualAddWithoutDeclaration_IsRefusedNamingTheModuleAndItsChildren()
    {
        using var model = new ResidualNet();
        model.eval();

        var act = () => model.ExportOnnx(_folder.File("residual.onnx"), new OnnxExportOptions { InputShape = [1, 28, 28] });

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'block' (NeuralNet.Torch.Tests.Zoo.ResidualBlock) to ONNX: its forward is not the chain of its " +
            "children [conv1, bn1, relu, conv2, bn2]: on a random batch it differs from applying them in registration order " +
            "(largest difference *)" + GraphShaped);
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_ChildrenAppliedInAnotherOrder_IsRefusedEvenWithVerificationOff()
    {
        manual_seed(62);
        using var model = Sequential(("stem", Linear(4, 4)), ("block", new ReorderedBlock(4)));

        var act = () => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { VerifySequentialModules = false });

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'block' (NeuralNet.Torch.Tests.Onnx.ReorderedBlock) to ONNX: its forward is not the chain of its " +
            "children [first, second]: on a random batch it differs from applying them in registration order " +
            "(largest difference *)" + GraphShaped);
    }

    [Test]
    public void ExportOnnx_ConcatenationWithoutDeclaration_IsRefusedAsNotTheChainRatherThanAShapeError()
    {
        using var model = new ConcatBlock(4);

        var act = () => model.ExportOnnx(_folder.File("concat.onnx"));

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export the model (NeuralNet.Torch.Tests.Onnx.ConcatBlock) to ONNX: its forward is not the chain of its " +
            "children [left, right]: on a random batch it differs from applying them in registration order " +
            "(applying them in that order fails: *)" + GraphShaped);
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_UndeclaredModuleWithTensorsOfItsOwn_IsRefusedNamingThem()
    {
        using var model = Sequential(("block", new ScaledBlock(4)));

        var act = () => model.ExportOnnx(new MemoryStream());

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'block' (NeuralNet.Torch.Tests.Onnx.ScaledBlock) to ONNX: it holds tensors of its own (scale) " +
            "besides its children, so its forward is not a chain of its children; " + ExportRefusalTests.Alternatives);
    }

    private static Tensor Forward(Module<Tensor, Tensor> model, Tensor input)
    {
        using var noGrad = no_grad();
        return model.call(input);
    }
}
