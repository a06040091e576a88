using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Onnx;

/// <summary>The three real tutorial checkpoints of ../shared/fixtures/pytorch, exported and run in ONNX Runtime on real
/// MNIST test images: the same logits as libtorch within 1e-5, hence the same predicted digits.</summary>
[Category("SharedFixtures")]
public sealed class OnnxFixtureTests
{
    private const int Images = 1000;

    private static readonly string[] Fixtures =
    [
        "AbirDey2002__pyTorch-Tutorial__model.pth",
        "xjh2000__pytorch_tutorials__model.pth",
        "1RaghavM__PyTorch__model.pth",
    ];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static IEnumerable<TestCaseData> FixtureCases() =>
        Fixtures.Select(f => new TestCaseData(f).SetArgDisplayNames(f.Split("__")[0]));

    [TestCaseSource(nameof(FixtureCases))]
    public void ExportOnnx_RealCheckpointOnMnistImages_GivesLibTorchsLogitsAndClasses(string fixture)
    {
        var checkpoint = TestPaths.RequireSharedFixture("pytorch/" + fixture);
        var imagesPath = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        using var images = MnistImages.ReadFirst(imagesPath, Images);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(checkpoint);
        model.eval();
        using var expected = Logits(model, images);
        var path = _folder.File("model.onnx");

        model.ExportOnnx(path, new OnnxExportOptions { InputShape = [28, 28] });

        using var onnx = new OnnxRuntimeModel(path);
        var (logits, shape) = onnx.Run(images);
        shape.Should().Equal(Images, 10);
        var difference = OnnxRuntimeModel.MaxDifference(expected, logits);
        TestContext.Out.WriteLine($"{fixture}: largest logit difference from libtorch {difference:G3}");
        difference.Should().BeLessThanOrEqualTo(1e-5);
        var libtorchClasses = model.Predict(images).Select(p => p.Class).ToArray();
        var onnxClasses = Enumerable.Range(0, Images).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * 10, 10))).ToArray();
        onnxClasses.Should().Equal(libtorchClasses);
        libtorchClasses.Distinct().Should().HaveCount(10, "a trained model tells all ten digits apart on 1000 real images");
    }

    private static Tensor Logits(NeuralNetwork model, Tensor images)
    {
        using var noGrad = no_grad();
        return model.forward(images);
    }

}
