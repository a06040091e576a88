using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>What no exact graph expresses is refused naming the module and the setting, and an input shape a layer
/// does not take names the layer and the shape; in both cases before a byte is written.</summary>
public sealed class ExportRefusalTests
{
    /// <summary>Where every refusal of a non-sequential forward sends the user.</summary>
    internal const string Alternatives =
        "a forward that is not a chain of layers (a residual add, a branch, a concatenation) cannot be exported from C#: " +
        "export the model from PyTorch with torch.onnx.export, or serve it as TorchScript (torch.jit.save in PyTorch, " +
        "torch.jit.load in TorchSharp).";

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static IEnumerable<TestCaseData> Refusals()
    {
        yield return Refused("conv_padding_mode", () => Conv2d(1, 2, 3, padding: 1, padding_mode: PaddingModes.Reflect), [1, 6, 6],
            "'layer' (TorchSharp.Modules.Conv2d) to ONNX: padding_mode=Reflect: ONNX's Conv pads with zeros only, and the exporter writes no separate Pad node.");
        yield return Refused("conv_same_strided", () =>
            {
                var conv = Conv2d(1, 2, 3, TorchSharp.Padding.Same);
                conv.stride = [2, 2];
                return conv;
            }, [1, 6, 6],
            "'layer' (TorchSharp.Modules.Conv2d) to ONNX: padding=Same with stride=[2, 2]: libtorch computes 'same' padding for stride 1 only.");
        yield return Refused("batchnorm_training", () => BatchNorm2d(2), [2, 4, 4],
            "'layer' (TorchSharp.Modules.BatchNorm2d) to ONNX: training mode: it normalises each batch with that batch's own statistics " +
            "and updates its running ones; call model.eval() before exporting.", train: true);
        yield return Refused("batchnorm_no_running_stats", () => BatchNorm2d(2, track_running_stats: false), [2, 4, 4],
            "'layer' (TorchSharp.Modules.BatchNorm2d) to ONNX: track_running_stats=False: without running statistics it normalises " +
            "each batch with that batch's own statistics, in eval mode too, which ONNX's BatchNormalization does not compute.");
        yield return Refused("avgpool_divisor_override", () => AvgPool2d(2, divisor_override: 3), [1, 4, 4],
            "'layer' (TorchSharp.Modules.AvgPool2d) to ONNX: divisor_override=3: ONNX's AveragePool divides by the window's size and has no divisor setting.");
        yield return Refused("adaptive_uneven", () => AdaptiveAvgPool2d((3, 2)), [1, 8, 8],
            "'layer' (TorchSharp.Modules.AdaptiveAvgPool2d) to ONNX: output_size=[3, 2] on an input of [8, 8]: its windows overlap " +
            "unevenly unless each input size is a multiple of the output size, and ONNX has no adaptive pooling.");
        yield return Refused("maxpool_padding_over_half", () => MaxPool2d(2, padding: 2), [1, 6, 6],
            "'layer' (TorchSharp.Modules.MaxPool2d) to ONNX: padding=2: libtorch allows at most 1 (half the window) for kernel_size=2.");
        // Height 5 (kernel 2): ceil mode's extra window would start in the end padding, so libtorch drops it;
        // width 10 (kernel 3): ceil mode adds one. ONNX has one ceil_mode for both.
        yield return Refused("maxpool_ceil_mixed", () => MaxPool2d((2, 3), stride: (2, 2), padding: (1, 1), ceil_mode: true), [1, 5, 10],
            "'layer' (TorchSharp.Modules.MaxPool2d) to ONNX: ceil_mode=True on this input: it adds a window in one spatial dimension " +
            "and drops the one starting in the end padding in another (output 3x6), which ONNX's single ceil_mode cannot express.");
        // TorchSharp 0.107's Hardtanh(inplace: false) returns its input unclipped; inplace: true clips (see ExportCases).
        yield return Refused("hardtanh_unclipped", () => Hardtanh(-1, 1), [4],
            "'layer' (TorchSharp.Modules.Hardtanh) to ONNX: inplace=False: its forward returns its input unclipped in this TorchSharp " +
            "version (Tensor.hardtanh drops libtorch's result), so no graph computes both PyTorch's Hardtanh and this module; " +
            "Hardtanh(inplace: true) clips.");
        yield return Refused("hardtanh_empty_range", () => Hardtanh(2, -1, inplace: true), [4],
            "'layer' (TorchSharp.Modules.Hardtanh) to ONNX: min_val=2, max_val=-1: the range is empty; ONNX's Clip leaves the result of min > max undefined.");
        yield return Refused("flatten_batch", () => Flatten(0), [4],
            "'layer' (TorchSharp.Modules.Flatten) to ONNX: start_dim=0: it flattens the batch dimension, which the exported graph keeps dynamic.");
        yield return Refused("unflatten_batch", () => Unflatten(0, [1, -1]), [4],
            "'layer' (TorchSharp.Modules.Unflatten) to ONNX: dim=0: it splits the batch dimension, which the exported graph keeps dynamic.");
    }

    private static IEnumerable<TestCaseData> Misfits()
    {
        yield return Misfit("conv_channels", () => Conv2d(3, 4, 3), [1, 8, 8],
            "Conv2d 'layer' takes [batch, 3, *, *] (3 channels), but its input has shape [batch, 1, 8, 8]");
        yield return Misfit("conv_too_small", () => Conv2d(1, 1, 5), [1, 3, 3],
            "Conv2d 'layer' needs at least 5 elements in spatial dimension 1 (kernel 5, dilation 1, padding 0+0), but its input has shape [batch, 1, 3, 3]");
        yield return Misfit("batchnorm1d_rank", () => BatchNorm1d(3), [3, 4, 4],
            "BatchNorm1d 'layer' takes [batch, 3] or [batch, 3, *] (3 channels), but its input has shape [batch, 3, 4, 4]");
        yield return Misfit("maxpool_rank", () => MaxPool2d(2), [16],
            "MaxPool2d 'layer' takes [batch, channels, *, *], but its input has shape [batch, 16]");
        yield return Misfit("layernorm_shape", () => LayerNorm(8), [4, 6],
            "LayerNorm 'layer' normalises trailing dimensions [8], but its input has shape [batch, 4, 6]");
        yield return Misfit("unflatten_sizes", () => Unflatten(1, [3, 3]), [8],
            "Unflatten 'layer' (dim=1, unflattened_size=[3, 3]) splits a dimension of another size, but its input has shape [batch, 8]");
        yield return Misfit("dropout1d_rank", () => Dropout1d(), [8],
            "Dropout1d 'layer' takes [batch, channels, length], but its input has shape [batch, 8]");
    }

    [TestCaseSource(nameof(Refusals))]
    public void ExportOnnx_SettingNoGraphExpresses_IsRefusedNamingModuleAndSettingAndWritesNothing(
        Func<Module<Tensor, Tensor>> layer, long[] shape, string message, bool train)
    {
        using var model = Sequential(("layer", layer()));
        model.train(train);
        var path = _folder.File("refused.onnx");

        var act = () => model.ExportOnnx(path, new OnnxExportOptions { InputShape = shape });

        act.Should().Throw<NotSupportedException>().WithMessage("Cannot export " + message);
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [TestCaseSource(nameof(Misfits))]
    public void ExportOnnx_InputShapeTheLayerDoesNotTake_IsRefusedNamingLayerAndShapeAndWritesNothing(
        Func<Module<Tensor, Tensor>> layer, long[] shape, string message)
    {
        using var model = Sequential(("layer", layer()));
        model.eval();
        var path = _folder.File("misfit.onnx");

        var act = () => model.ExportOnnx(path, new OnnxExportOptions { InputShape = shape });

        act.Should().Throw<ArgumentException>().WithMessage(
            message + "; set OnnxExportOptions.InputShape to the shape of one sample the model takes.*");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_CnnWithoutInputShape_IsRefusedNamingTheFirstLayerAndWhatToSet()
    {
        using var model = new LeNet();
        model.eval();

        var act = () => model.ExportOnnx(_folder.File("lenet.onnx"));

        act.Should().Throw<ArgumentException>().WithMessage(
            "The model's first layer 'features.0' (TorchSharp.Modules.Conv2d) is not a Linear, so the input shape cannot be taken " +
            "from it: set OnnxExportOptions.InputShape to one sample's shape without the batch dimension (e.g. [1, 28, 28] for a " +
            "CNN on MNIST images).*");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_ResidualBlockFalselyDeclaredSequential_IsRefusedByTheForwardCheck()
    {
        using var model = Sequential(("stem", Conv2d(1, 4, 3, padding: 1)), ("block", new DeclaredResidualBlock(4)));
        model.eval();

        var act = () => model.ExportOnnx(_folder.File("residual.onnx"), new OnnxExportOptions { InputShape = [1, 8, 8] });

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'block' (NeuralNet.Torch.Tests.Onnx.DeclaredResidualBlock) to ONNX: it declares ISequentialModule with the " +
            "children [conv, bn, relu], but on a random batch its forward differs from applying them in that order (largest " +
            "difference *); " + Alternatives);
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    private static TestCaseData Refused(string name, Func<Module<Tensor, Tensor>> layer, long[] shape, string message, bool train = false) =>
        new TestCaseData(layer, shape, message, train).SetArgDisplayNames(name);

    private static TestCaseData Misfit(string name, Func<Module<Tensor, Tensor>> layer, long[] shape, string message) =>
        new TestCaseData(layer, shape, message).SetArgDisplayNames(name);
}
