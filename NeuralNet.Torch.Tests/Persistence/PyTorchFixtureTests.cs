using System.IO.Compression;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>The three real <c>torch.save(model.state_dict())</c> files of ../shared/fixtures/pytorch (two saved on
/// cuda:0 in the classic zip layout, one on mps in the newer 64-byte aligned layout), against the check values in
/// PROVENANCE.md, and round trips through every format judged by predictions on real MNIST images.</summary>
[Category("SharedFixtures")]
public sealed class PyTorchFixtureTests
{
    private static readonly string[] Keys =
    [
        "linear_relu_stack.0.weight", "linear_relu_stack.0.bias", "linear_relu_stack.2.weight",
        "linear_relu_stack.2.bias", "linear_relu_stack.4.weight", "linear_relu_stack.4.bias",
    ];

    private static readonly long[][] Shapes = [[512, 784], [512], [512, 512], [512], [10, 512], [10]];

    // PROVENANCE.md: first four values of each weight, and the sum of every tensor, from the raw bytes.
    private static readonly Fixture[] Fixtures =
    [
        new("AbirDey2002__pyTorch-Tutorial__model.pth",
            [[-0.006502f, -0.02377f, -0.001638f, -0.031265f], [0.044469f, 0.023488f, 0.045976f, 0.007652f], [-0.080605f, 0.029751f, -0.053643f, 0.043162f]],
            [255.979582, 1.271675, 140.427637, 1.379122, 0.339598, -0.103333]),
        new("xjh2000__pytorch_tutorials__model.pth",
            [[0.034641f, -0.016562f, -0.017545f, 0.000454f], [0.015833f, -0.002159f, -0.020143f, 0.021942f], [-0.014774f, 0.027813f, -0.04448f, 0.023561f]],
            [263.793822, 1.467694, 111.381702, 1.589810, 1.686990, -0.026007]),
        new("1RaghavM__PyTorch__model.pth",
            [[-0.024051f, -0.032031f, -0.014923f, -0.029698f], [-0.001427f, 0.022848f, 0.023691f, 0.039691f], [0.023112f, -0.080953f, 0.072039f, 0.025086f]],
            [307.150374, 1.455057, 133.612034, 2.424281, -0.689399, 0.015250]),
    ];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    private static IEnumerable<TestCaseData> FixtureCases() =>
        Fixtures.Select(f => new TestCaseData(f).SetArgDisplayNames(f.File.Split("__")[0]));

    private static IEnumerable<TestCaseData> RoundTripCases() =>
        from f in Fixtures
        from extension in new[] { ".pth", ".safetensors", ".dat" }
        select new TestCaseData(f, extension).SetArgDisplayNames(f.File.Split("__")[0], extension);

    [TestCaseSource(nameof(FixtureCases))]
    public void Load_RealTutorialCheckpoint_MatchesTheProvenanceCheckValues(Fixture fixture)
    {
        var path = TestPaths.RequireSharedFixture("pytorch/" + fixture.File);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);

        var result = model.LoadCheckpoint(path);

        result.ToString().Should().Be("<All keys matched successfully>");
        var state = model.state_dict();
        for (var i = 0; i < Keys.Length; i++)
        {
            var values = state[Keys[i]].data<float>().ToArray();
            state[Keys[i]].device_type.Should().Be(DeviceType.CPU, "tensors saved on cuda:0 or mps load onto the CPU");
            values.Sum(v => (double)v).Should().BeApproximately(fixture.Sums[i], Math.Abs(fixture.Sums[i]) * 1e-3, Keys[i]);
            if (i % 2 == 0)
            {
                for (var k = 0; k < 4; k++)
                {
                    values[k].Should().BeApproximately(fixture.FirstWeightValues[i / 2][k], 1e-5f, $"{Keys[i]}[{k}]");
                }
            }
        }
    }

    [TestCaseSource(nameof(FixtureCases))]
    public void Inspect_RealTutorialCheckpoint_ListsSixFloat32TensorsInStateDictOrder(Fixture fixture)
    {
        var path = TestPaths.RequireSharedFixture("pytorch/" + fixture.File);

        var info = Checkpoint.Inspect(path);

        info.Format.Should().Be(CheckpointFormat.PyTorch);
        info.Tensors.Select(t => t.Name).Should().Equal(Keys);
        info.Tensors.Should().OnlyContain(t => t.DType == ScalarType.Float32);
        info.Tensors.Select(t => t.Shape.ToArray()).Should().BeEquivalentTo(Shapes, o => o.WithStrictOrdering());
    }

    [TestCaseSource(nameof(RoundTripCases))]
    public void SaveThenLoad_RealCheckpoint_IsBitExactAndPredictsTheSameOnMnistImages(Fixture fixture, string extension)
    {
        var path = TestPaths.RequireSharedFixture("pytorch/" + fixture.File);
        var imagesPath = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        using var images = MnistImages.ReadFirst(imagesPath, 100);
        using var original = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        original.LoadCheckpoint(path);
        var before = original.Predict(images);
        var copyPath = _folder.File("model" + extension);

        original.SaveCheckpoint(copyPath);
        manual_seed(99);
        using var reloaded = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        reloaded.LoadCheckpoint(copyPath).AllKeysMatched.Should().BeTrue();

        foreach (var key in Keys)
        {
            reloaded.state_dict()[key].bytes.ToArray().Should().Equal(original.state_dict()[key].bytes.ToArray(), key);
        }
        var after = reloaded.Predict(images);
        after.Select(p => p.Class).Should().Equal(before.Select(p => p.Class));
        for (var i = 0; i < before.Count; i++)
        {
            after[i].Probabilities.Should().Equal(before[i].Probabilities, $"image {i}");
        }
        before.Select(p => p.Class).Distinct().Count().Should().BeGreaterThan(3, "a trained model tells real digits apart");
    }

    [TestCaseSource(nameof(FixtureCases))]
    public void SavePth_RealCheckpoint_KeepsEveryStorageRecordByteForByte(Fixture fixture)
    {
        var path = TestPaths.RequireSharedFixture("pytorch/" + fixture.File);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(path);
        var copyPath = _folder.File("model.pth");

        model.SaveCheckpoint(copyPath);

        using var source = ZipFile.OpenRead(path);
        using var copy = ZipFile.OpenRead(copyPath);
        for (var i = 0; i < Keys.Length; i++)
        {
            Read(copy.GetEntry($"model/data/{i}")!).Should().Equal(Read(source.GetEntry($"model/data/{i}")!), Keys[i]);
        }
    }

    private static byte[] Read(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>One fixture's check values.</summary>
    public sealed record Fixture(string File, float[][] FirstWeightValues, double[] Sums);
}
