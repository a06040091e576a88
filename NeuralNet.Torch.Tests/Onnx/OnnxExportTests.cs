using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>Exports models built here and runs the files in ONNX Runtime: the same numbers as libtorch, the structure
/// a serving stack expects, and clear refusals.</summary>
public sealed class OnnxExportTests
{
    // ONNX Runtime's Gemm (its own AVX-512 kernels) and libtorch's (oneMKL) sum in different orders: float32
    // rounding, about 1e-7 to 1e-6 on these models. 1e-5 is the contract.
    private const double Tolerance = 1e-5;

    private static readonly string[] DocumentedKeys =
    [
        "linear_relu_stack.0.weight", "linear_relu_stack.0.bias", "linear_relu_stack.2.weight",
        "linear_relu_stack.2.bias", "linear_relu_stack.4.weight", "linear_relu_stack.4.bias",
    ];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [TestCase(NeuralNetworkVariant.Documented)]
    [TestCase(NeuralNetworkVariant.Quickstart)]
    public void ExportOnnx_NeuralNetwork_RunsInOnnxRuntimeWithLibTorchsOutputs(NeuralNetworkVariant variant)
    {
        manual_seed(40);
        using var model = new NeuralNetwork(variant);
        using var images = rand(64, 784);
        using var expected = Forward(model, images);
        var path = _folder.File("model.onnx");

        var info = model.ExportOnnx(path);

        using var onnx = new OnnxRuntimeModel(path);
        var (values, shape) = onnx.Run(images);
        shape.Should().Equal(64, 10);
        var difference = OnnxRuntimeModel.MaxDifference(expected, values);
        TestContext.Out.WriteLine($"largest difference from libtorch: {difference:G3}");
        difference.Should().BeLessThanOrEqualTo(Tolerance);
        info.Operators.Should().Equal(variant == NeuralNetworkVariant.Documented
            ? ["Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm", "Relu"]
            : ["Flatten", "Gemm", "Relu", "Gemm", "Relu", "Gemm"]);
    }

    [Test]
    public void ExportOnnx_NeuralNetworkWithImageInputShape_TakesBatchesOf28By28()
    {
        manual_seed(41);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var images = rand(5, 28, 28);
        using var expected = Forward(model, images);
        var path = _folder.File("images.onnx");

        var info = model.ExportOnnx(path, new OnnxExportOptions { InputShape = [28, 28] });

        info.InputShape.Should().Equal(28, 28);
        info.OutputShape.Should().Equal(10);
        using var onnx = new OnnxRuntimeModel(path);
        onnx.Session.InputMetadata["input"].Dimensions.Should().Equal(-1, 28, 28);
        var (values, shape) = onnx.Run(images);
        shape.Should().Equal(5, 10);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Test]
    public void ExportOnnx_File_HasOpset17NamedTensorsADynamicBatchAndTheStateDictAsInitializers()
    {
        manual_seed(42);
        using var model = new NeuralNetwork();
        var path = _folder.File("model.onnx");

        model.ExportOnnx(path);

        var proto = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        proto.IrVersion.Should().Be(8);
        proto.OpsetImport.Should().ContainSingle().Which.Should().Match<Proto.OperatorSetIdProto>(o => o.Domain == "" && o.Version == 17);
        proto.ProducerName.Should().Be("NeuralNet.Torch");
        var graph = proto.Graph;
        graph.Input.Select(i => i.Name).Should().Equal("input");
        graph.Output.Select(o => o.Name).Should().Equal("logits");
        Dims(graph.Input[0]).Should().Equal("batch", "784");
        Dims(graph.Output[0]).Should().Equal("batch", "10");
        graph.Input[0].Type.TensorType.ElemType.Should().Be((int)Proto.TensorProto.Types.DataType.Float);
        graph.Output[0].Type.TensorType.ElemType.Should().Be((int)Proto.TensorProto.Types.DataType.Float);
        graph.Initializer.Select(i => i.Name).Should().Equal(DocumentedKeys);
        var state = model.state_dict();
        foreach (var initializer in graph.Initializer)
        {
            initializer.DataType.Should().Be((int)Proto.TensorProto.Types.DataType.Float);
            initializer.Dims.Should().Equal(state[initializer.Name].shape, initializer.Name);
            initializer.RawData.ToByteArray().Should().Equal(state[initializer.Name].bytes.ToArray(), initializer.Name);
        }
        var gemm = graph.Node.First(n => n.OpType == "Gemm");
        gemm.Input.Should().Equal(graph.Node[0].Output[0], "linear_relu_stack.0.weight", "linear_relu_stack.0.bias");
        gemm.Attribute.Should().ContainSingle(a => a.Name == "transB").Which.I.Should().Be(1);
        graph.Node[0].OpType.Should().Be("Flatten");
        graph.Node[0].Attribute.Should().ContainSingle(a => a.Name == "axis").Which.I.Should().Be(1);
        graph.Node.Last().Output.Should().Equal("logits");
    }

    [Test]
    public void ExportOnnx_InOnnxRuntime_ReportsTheDynamicBatchAndTheNames()
    {
        manual_seed(43);
        using var model = new NeuralNetwork();
        var path = _folder.File("model.onnx");
        model.ExportOnnx(path);

        using var onnx = new OnnxRuntimeModel(path);

        onnx.Session.InputNames.Should().Equal("input");
        onnx.Session.OutputNames.Should().Equal("logits");
        var input = onnx.Session.InputMetadata["input"];
        input.ElementDataType.Should().Be(TensorElementType.Float);
        input.Dimensions.Should().Equal(-1, 784);
        input.SymbolicDimensions.Should().Equal("batch", "");
        onnx.Session.OutputMetadata["logits"].Dimensions.Should().Equal(-1, 10);
        onnx.Session.ModelMetadata.ProducerName.Should().Be("NeuralNet.Torch");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(37)]
    [TestCase(1024)]
    public void ExportOnnx_AnyBatchSize_RunsWithTheSameOutputs(int batch)
    {
        manual_seed(44);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var images = rand(batch, 784);
        using var expected = Forward(model, images);
        using var bytes = new MemoryStream();
        model.ExportOnnx(bytes);

        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        var (values, shape) = onnx.Run(images);

        shape.Should().Equal(batch, 10);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Test]
    public void ExportOnnx_NetworkBuiltFromSettings_EveryActivationMatchesLibTorch()
    {
        // What a settings file could build: each activation by name through Activation.Create, nested Sequential.
        manual_seed(45);
        using var model = Sequential(
            ("flatten", Flatten()),
            ("hidden", Sequential(
                Linear(784, 64), Activation.Create(Activation.Parse("sigmoid")),
                Linear(64, 48), Activation.Create(Activation.Parse("tanh")),
                Sequential(Linear(48, 32), Activation.Create(Activation.Parse("relu"))))),
            ("step", Sequential(Linear(32, 32), Activation.Create(Activation.Parse("binary_step")))),
            ("out", Linear(32, 10)),
            ("softmax", Activation.Create(ActivationKind.Softmax, softmaxDim: 1)));
        using var images = rand(128, 28, 28);
        using var expected = Forward(model, images);
        var path = _folder.File("settings.onnx");

        var info = model.ExportOnnx(path, new OnnxExportOptions { InputShape = [28, 28], OutputName = "probabilities" });

        info.Operators.Should().Equal(
            "Flatten", "Gemm", "Sigmoid", "Gemm", "Tanh", "Gemm", "Relu", "Gemm",
            "Constant", "GreaterOrEqual", "Cast", "IsNaN", "Where", "Gemm", "Softmax");
        info.Initializers.Should().Equal(
            "hidden.0.weight", "hidden.0.bias", "hidden.2.weight", "hidden.2.bias", "hidden.4.0.weight", "hidden.4.0.bias",
            "step.0.weight", "step.0.bias", "out.weight", "out.bias");
        using var onnx = new OnnxRuntimeModel(path);
        var (values, _) = onnx.Run(images, outputName: "probabilities");
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Test]
    public void ExportOnnx_DeclaredCustomModules_ExportAsTheirChildren()
    {
        manual_seed(46);
        using var model = Sequential(
            ("block1", new DeclaredBlock(20, 16, Tanh())),
            ("block2", new DeclaredBlock(16, 8, new BinaryStep())),
            ("head", new DeclaredBlock(8, 4, Softmax(-1))));
        using var input = randn(33, 20);
        using var expected = Forward(model, input);
        var path = _folder.File("custom.onnx");

        var info = model.ExportOnnx(path);

        info.InputShape.Should().Equal(20);
        info.OutputShape.Should().Equal(4);
        info.Initializers.Should().Equal("block1.fc.weight", "block1.fc.bias", "block2.fc.weight", "block2.fc.bias", "head.fc.weight", "head.fc.bias");
        using var onnx = new OnnxRuntimeModel(path);
        var (values, _) = onnx.Run(input);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Test]
    public void ExportOnnx_LinearOnRank3AndPartialFlatten_UsesMatMulAndReshape()
    {
        manual_seed(47);
        // [N, 2, 4, 5] -> Flatten(2, 3) -> [N, 2, 20] -> Linear(20, 3) -> [N, 2, 3] -> Flatten() -> [N, 6] -> Softmax(-1)
        using var model = Sequential(Flatten(2, 3), Linear(20, 3), ReLU(), Linear(3, 3, hasBias: false), Flatten(), Softmax(-1));
        using var input = randn(7, 2, 4, 5);
        using var expected = Forward(model, input);
        using var bytes = new MemoryStream();

        var info = model.ExportOnnx(bytes, new OnnxExportOptions { InputShape = [2, 4, 5] });

        info.Operators.Should().Equal("Constant", "Reshape", "Transpose", "MatMul", "Add", "Relu", "Transpose", "MatMul", "Flatten", "Softmax");
        info.OutputShape.Should().Equal(6);
        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        var (values, shape) = onnx.Run(input);
        shape.Should().Equal(7, 6);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void ExportOnnx_ModelOnADevice_WritesTheSameBytesAsFromTheCpu(string device)
    {
        manual_seed(51);
        using var model = new NeuralNetwork();
        using var onCpu = new MemoryStream();
        model.ExportOnnx(onCpu);
        model.to(TestDevices.Get(device));
        using var onDevice = new MemoryStream();

        model.ExportOnnx(onDevice);

        onDevice.ToArray().Should().Equal(onCpu.ToArray());
        model.parameters().Should().OnlyContain(p => p.device_type == TestDevices.Get(device).type, "the model stays where it was");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void ExportOnnx_BatchNormCnnOnADevice_WritesTheSameBytesAsFromTheCpu(string device)
    {
        manual_seed(53);
        using var model = new BatchNormCnn();
        model.eval();
        var options = new OnnxExportOptions { InputShape = [1, 28, 28] };
        using var onCpu = new MemoryStream();
        model.ExportOnnx(onCpu, options);
        model.to(TestDevices.Get(device));
        using var onDevice = new MemoryStream();

        model.ExportOnnx(onDevice, options);

        onDevice.ToArray().Should().Equal(onCpu.ToArray());
    }

    [Test]
    public void ExportOnnx_BatchNormCnn_LeavesNoTensorsBehindAndTheModelAsItWas()
    {
        manual_seed(54);
        using var model = new BatchNormCnn();
        model.eval();
        var before = model.state_dict().Select(kv => (kv.Key, kv.Value.bytes.ToArray())).ToList();
        var options = new OnnxExportOptions { InputShape = [1, 28, 28] };

        var added = LeakCheck.LiveTensorsAddedBy(() => model.ExportOnnx(new MemoryStream(), options), repetitions: 3);

        added.Should().Be(0);
        model.modules().Should().OnlyContain(m => !m.training, "eval mode stays eval mode");
        model.state_dict().Select(kv => (kv.Key, kv.Value.bytes.ToArray())).Should().BeEquivalentTo(before, o => o.WithStrictOrdering(),
            "the forward check runs in eval mode, so BatchNorm's running statistics and counter do not move");
    }

    [Test]
    public void ExportOnnx_UnsupportedModule_IsRefusedNamingItsPathTypeAndTheKnownLayersAndWritesNothing()
    {
        using var model = Sequential(("features", Sequential(Conv2d(1, 2, 3), ConvTranspose2d(2, 1, 3))));
        model.eval();
        var path = _folder.File("transposed.onnx");

        var act = () => model.ExportOnnx(path, new OnnxExportOptions { InputShape = [1, 8, 8] });

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'features.1' (TorchSharp.Modules.ConvTranspose2d) to ONNX: the exporter knows AdaptiveAvgPool1d, " +
            "AdaptiveAvgPool2d, AlphaDropout, AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, BinaryStep, Conv1d, Conv2d, Dropout, " +
            "Dropout1d, Dropout2d, Dropout3d, ELU, FeatureAlphaDropout, Flatten, GELU, Hardtanh, Identity, LayerNorm, LeakyReLU, " +
            "Linear, LogSoftmax, MaxPool1d, MaxPool2d, ReLU, ReLU6, SiLU, Sigmoid, Softmax, Softplus, Tanh, Unflatten, nested in " +
            "Sequential and in modules that implement NeuralNet.Torch.ISequentialModule; for anything else, export the model " +
            "from PyTorch with torch.onnx.export, or serve it as TorchScript.");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_DropoutInTrainingMode_IsRefusedNamingTheModuleAndTheModeAndWritesNothing()
    {
        using var model = new DropoutNetwork();
        var path = _folder.File("dropout.onnx");

        var act = () => model.ExportOnnx(path);

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export 'linear_relu_stack.3' (TorchSharp.Modules.Dropout) to ONNX: training mode: it zeroes random elements " +
            "while training; call model.eval() before exporting (the graph then leaves it out).");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void ExportOnnx_DropoutInEvalMode_IsLeftOutOfTheGraph()
    {
        manual_seed(52);
        using var model = new DropoutNetwork();
        model.eval();
        using var images = rand(6, 784);
        using var expected = Forward(model, images);
        using var bytes = new MemoryStream();

        var info = model.ExportOnnx(bytes);

        info.Operators.Should().Equal("Flatten", "Gemm", "Relu", "Gemm", "Gemm");
        using var onnx = new OnnxRuntimeModel(bytes.ToArray());
        OnnxRuntimeModel.MaxDifference(expected, onnx.Run(images).Values).Should().BeLessThanOrEqualTo(Tolerance);
    }

    [Test]
    public void ExportOnnx_CustomModuleThatDeclaresNothingButIsItsChain_ExportsItsChildren()
    {
        using var model = Sequential(("body", new UndeclaredBlock(4)));

        var info = model.ExportOnnx(new MemoryStream());

        info.Operators.Should().Equal("Gemm");
        info.Initializers.Should().Equal("body.fc.weight", "body.fc.bias");
    }

    [Test]
    public void ExportOnnx_FalseSequentialDeclaration_IsCaughtOnARandomBatch()
    {
        using var model = Sequential(Linear(4, 4), new ResidualBlock(4));

        var act = () => model.ExportOnnx(new MemoryStream());

        act.Should().Throw<NotSupportedException>().WithMessage(
            "Cannot export '1' (NeuralNet.Torch.Tests.Onnx.ResidualBlock) to ONNX: it declares ISequentialModule with the children " +
            "[fc], but on a random batch its forward differs from applying them in that order (largest difference *); " +
            ExportRefusalTests.Alternatives);
    }

    [Test]
    public void ExportOnnx_FalseDeclarationWithVerificationOff_ExportsTheDeclaredChain()
    {
        using var model = Sequential(Linear(4, 4), new ResidualBlock(4));
        using var bytes = new MemoryStream();

        var info = model.ExportOnnx(bytes, new OnnxExportOptions { VerifySequentialModules = false });

        info.Operators.Should().Equal("Gemm", "Gemm");
    }

    [Test]
    public void ExportOnnx_FloatDoubleModel_IsRefusedNamingTheParameter()
    {
        using var model = Sequential(Linear(4, 2));
        model.to(ScalarType.Float64);

        var act = () => model.ExportOnnx(new MemoryStream());

        act.Should().Throw<NotSupportedException>().WithMessage("Cannot export '0.weight' to ONNX: it is Float64; the exporter writes float32 models*");
    }

    [Test]
    public void ExportOnnx_InputShapeThatDoesNotFitTheFirstLinear_IsRefusedNamingTheLayer()
    {
        using var model = new NeuralNetwork();

        var act = () => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { InputShape = [28, 29] });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Linear 'linear_relu_stack.0' takes 784 features in the last dimension, but its input has shape [batch, 812]*");
    }

    [Test]
    public void ExportOnnx_InvalidOptions_ListsEveryProblem()
    {
        using var model = new NeuralNetwork();

        var act = () => model.ExportOnnx(new MemoryStream(), new OnnxExportOptions { InputName = "x", OutputName = "x", InputShape = [0], BatchDimensionName = " " });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid ONNX export options: InputName and OutputName must differ; both are 'x'. BatchDimensionName must not be empty. " +
            "InputShape must list one sample's dimensions, each at least 1; found [0].*");
    }

    [Test]
    public void ExportOnnx_LeavesTheModelAsItWas_AndNoTensorsBehind()
    {
        manual_seed(48);
        using var model = Sequential(("body", new DeclaredBlock(784, 10, ReLU())));
        model.train();
        var before = model.parameters().Select(p => p.data<float>().ToArray()).ToList();

        var added = LeakCheck.LiveTensorsAddedBy(() => model.ExportOnnx(new MemoryStream()), repetitions: 5);

        added.Should().Be(0);
        model.training.Should().BeTrue();
        model.modules().Should().OnlyContain(m => m.training, "every module's train mode is restored after the check in eval mode");
        model.parameters().Select(p => p.data<float>().ToArray()).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
    }

    [Test]
    public void ExportOnnx_ExistingFile_IsReplacedWholeAndNoTemporaryFileStays()
    {
        var path = _folder.File("model.onnx");
        File.WriteAllText(path, "old");
        manual_seed(49);
        using var model = new NeuralNetwork();

        model.ExportOnnx(path);

        Directory.GetFiles(_folder.Path).Should().Equal(path);
        Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer.Should().HaveCount(6);
    }

    [Test]
    public void ExportOnnx_MissingFolder_ThrowsAndWritesNothing()
    {
        using var model = new NeuralNetwork();
        var path = Path.Combine(_folder.Path, "missing", "model.onnx");

        var act = () => model.ExportOnnx(path);

        act.Should().Throw<DirectoryNotFoundException>().WithMessage($"Cannot write '{path}': the folder '*missing' does not exist.");
    }

    private static Tensor Forward(Module<Tensor, Tensor> model, Tensor input)
    {
        using var noGrad = no_grad();
        return model.forward(input);
    }

    private static IEnumerable<string> Dims(Proto.ValueInfoProto value) =>
        value.Type.TensorType.Shape.Dim.Select(d => d.HasDimParam ? d.DimParam : d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
