using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>The Triton/KServe model repository: the layout, and a config.pbtxt whose names, types and dims are the
/// exported graph's.</summary>
public sealed class TritonModelRepositoryTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Write_NeuralNetwork_LaysOutConfigAndVersionOneModel()
    {
        manual_seed(60);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        var repository = Path.Combine(_folder.Path, "models");

        TritonModelRepository.Write(model, repository, "fashion");

        Directory.GetFileSystemEntries(repository).Should().Equal(Path.Combine(repository, "fashion"));
        Directory.GetFileSystemEntries(Path.Combine(repository, "fashion")).Order(StringComparer.Ordinal).Should().Equal(
            Path.Combine(repository, "fashion", "1"), Path.Combine(repository, "fashion", "config.pbtxt"));
        Directory.GetFileSystemEntries(Path.Combine(repository, "fashion", "1")).Should().Equal(Path.Combine(repository, "fashion", "1", "model.onnx"));
    }

    [Test]
    public void Write_ConfigPbtxt_MatchesTheExportedGraphsNamesTypesAndDims()
    {
        manual_seed(61);
        using var model = new NeuralNetwork();
        var repository = _folder.Path;

        var info = TritonModelRepository.Write(model, repository, "mnist_mlp", new TritonModelOptions { MaxBatchSize = 128, MaxQueueDelay = TimeSpan.FromMilliseconds(2) });

        var config = TextProto.Parse(File.ReadAllText(Path.Combine(repository, "mnist_mlp", "config.pbtxt")));
        var graph = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(repository, "mnist_mlp", "1", "model.onnx"))).Graph;
        config.FieldNames.Should().BeEquivalentTo("name", "platform", "max_batch_size", "input", "output", "dynamic_batching");
        config.Scalar("name").Should().Be("mnist_mlp");
        config.Scalar("platform").Should().Be("onnxruntime_onnx");
        config.Scalar("max_batch_size").Should().Be("128");
        config.Message("dynamic_batching").Scalar("max_queue_delay_microseconds").Should().Be("2000");
        var input = config.Messages("input").Should().ContainSingle().Which;
        var output = config.Messages("output").Should().ContainSingle().Which;
        foreach (var (entry, value) in new[] { (input, graph.Input.Single()), (output, graph.Output.Single()) })
        {
            entry.Scalar("name").Should().Be(value.Name);
            entry.Scalar("data_type").Should().Be("TYPE_FP32");
            value.Type.TensorType.ElemType.Should().Be((int)Proto.TensorProto.Types.DataType.Float, "TYPE_FP32 is ONNX's FLOAT");
            var dims = value.Type.TensorType.Shape.Dim;
            dims[0].HasDimParam.Should().BeTrue("with max_batch_size > 0 Triton adds the batch dimension, so the graph's first must be dynamic");
            entry.Longs("dims").Should().Equal(dims.Skip(1).Select(d => d.DimValue), "Triton's dims leave out the batch dimension");
        }
        input.Scalar("name").Should().Be("input");
        input.Longs("dims").Should().Equal(784);
        output.Scalar("name").Should().Be("logits");
        output.Longs("dims").Should().Equal(10);
        info.InputShape.Should().Equal(784);
    }

    [Test]
    public void Write_ImageShapedInputAndOtherNames_AreWhatTheConfigSays()
    {
        manual_seed(62);
        using var model = new NeuralNetwork();
        var export = new OnnxExportOptions { InputShape = [1, 28, 28], InputName = "images", OutputName = "scores" };

        TritonModelRepository.Write(model, _folder.Path, "images", new TritonModelOptions { Export = export, Version = 3 });

        var config = TextProto.Parse(File.ReadAllText(Path.Combine(_folder.Path, "images", "config.pbtxt")));
        config.Message("input").Scalar("name").Should().Be("images");
        config.Message("input").Longs("dims").Should().Equal(1, 28, 28);
        config.Message("output").Scalar("name").Should().Be("scores");
        using var onnx = new OnnxRuntimeModel(Path.Combine(_folder.Path, "images", "3", "model.onnx"));
        onnx.Session.InputMetadata["images"].Dimensions.Should().Equal(-1, 1, 28, 28);
        onnx.Session.OutputMetadata["scores"].Dimensions.Should().Equal(-1, 10);
    }

    [Test]
    public void Write_Cnn_ConfigDimsAreTheGraphsImageShapeAndTheModelRunsWithLibTorchsOutputs()
    {
        manual_seed(65);
        using var model = new LeNet();
        model.eval();
        using var images = rand(4, 1, 28, 28);
        using var expected = model.forward(images);

        var info = TritonModelRepository.Write(model, _folder.Path, "lenet",
            new TritonModelOptions { Export = new OnnxExportOptions { InputShape = [1, 28, 28] } });

        var config = TextProto.Parse(File.ReadAllText(Path.Combine(_folder.Path, "lenet", "config.pbtxt")));
        var graph = Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(_folder.Path, "lenet", "1", "model.onnx"))).Graph;
        config.Message("input").Longs("dims").Should().Equal(1, 28, 28);
        config.Message("input").Longs("dims").Should().Equal(graph.Input.Single().Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        config.Message("output").Longs("dims").Should().Equal(10);
        info.InputShape.Should().Equal(1, 28, 28);
        using var onnx = new OnnxRuntimeModel(Path.Combine(_folder.Path, "lenet", "1", "model.onnx"));
        var (values, shape) = onnx.Run(images);
        shape.Should().Equal(4, 10);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Test]
    public void Write_CnnWithoutInputShape_IsRefusedNamingTheSettingAndWritesNothing()
    {
        using var model = new LeNet();
        model.eval();

        var act = () => TritonModelRepository.Write(model, _folder.Path, "lenet");

        act.Should().Throw<ArgumentException>().WithMessage("*'features.0' (TorchSharp.Modules.Conv2d) is not a Linear*set OnnxExportOptions.InputShape*");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void Write_TheModelFile_RunsWithTheModelsOutputs()
    {
        manual_seed(63);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var images = rand(8, 784);
        using var expected = model.forward(images);

        TritonModelRepository.Write(model, _folder.Path, "m");

        using var onnx = new OnnxRuntimeModel(Path.Combine(_folder.Path, "m", "1", "model.onnx"));
        var (values, _) = onnx.Run(images);
        OnnxRuntimeModel.MaxDifference(expected, values).Should().BeLessThanOrEqualTo(1e-5);
    }

    [Test]
    public void Write_InvalidNameAndOptions_ListsEveryProblemAndWritesNothing()
    {
        using var model = new NeuralNetwork();

        var act = () => TritonModelRepository.Write(model, _folder.Path, "../up",
            new TritonModelOptions { MaxBatchSize = 0, MaxQueueDelay = TimeSpan.FromSeconds(2), Version = 0 });

        act.Should().Throw<ArgumentException>().WithMessage(
            "Invalid Triton model settings: The model name must be letters, digits, '_', '-' or '.' (and not '.' or '..'); found '../up'. " +
            "MaxBatchSize must be between 1 and 1048576; found 0. MaxQueueDelay must be between 0 and 1 second; found 00:00:02. " +
            "Version must be a positive integer; found 0.*");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void Write_ModelInTrainingMode_IsRefusedAndWritesNothing()
    {
        using var model = new DropoutNetwork();

        var act = () => TritonModelRepository.Write(model, _folder.Path, "dropout");

        act.Should().Throw<NotSupportedException>().WithMessage("Cannot export 'linear_relu_stack.3' (TorchSharp.Modules.Dropout) to ONNX: training mode*");
        Directory.GetFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void Write_AgainAsVersionTwo_KeepsVersionOne()
    {
        manual_seed(64);
        using var model = new NeuralNetwork();
        TritonModelRepository.Write(model, _folder.Path, "m");

        TritonModelRepository.Write(model, _folder.Path, "m", new TritonModelOptions { Version = 2 });

        File.Exists(Path.Combine(_folder.Path, "m", "1", "model.onnx")).Should().BeTrue();
        File.Exists(Path.Combine(_folder.Path, "m", "2", "model.onnx")).Should().BeTrue();
    }

    [Test]
    public void Config_NameWithQuoteAndBackslash_IsEscapedAndParsesBack()
    {
        var info = new OnnxExportInfo("in \"x\"", [784], "out\\y", [10], 17, [], []);

        var text = TritonModelRepository.Config("m", info, new TritonModelOptions());

        var config = TextProto.Parse(text);
        config.Message("input").Scalar("name").Should().Be("in \"x\"");
        config.Message("output").Scalar("name").Should().Be("out\\y");
    }
}
