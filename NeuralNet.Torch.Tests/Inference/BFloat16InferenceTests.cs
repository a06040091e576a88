using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Inference;

public sealed class BFloat16InferenceTests
{
    private static readonly InferenceOptions BFloat16 = new() { Precision = InferencePrecision.BFloat16 };

    private static void RequireBFloat16()
    {
        if (!CpuFeatures.HasAvx512BFloat16)
        {
            Assert.Ignore("This CPU has no AVX512_BF16: the bfloat16 mode is refused here (tested by the other cases).");
        }
    }

    [Test]
    public void ChoosePath_BFloat16_OnlyAboveTheCutOver()
    {
        RequireBFloat16();
        torch.manual_seed(4);
        using var model = new NeuralNetwork();

        model.ChoosePath(PackedInference.DefaultMaxBatchSize, BFloat16).Should().Be(InferencePath.Packed, "small batches stay exact and fast");
        model.ChoosePath(PackedInference.DefaultMaxBatchSize + 1, BFloat16).Should().Be(InferencePath.LibTorchBFloat16);
    }

    [Test]
    public void Predict_BFloat16_RandomWeights_ProbabilitiesWithinBFloat16Rounding_NoLeaks()
    {
        RequireBFloat16();
        torch.manual_seed(4);
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        var n = PackedInference.DefaultMaxBatchSize + 44; // above the cut-over: the bf16 path
        model.ChoosePath(n, BFloat16).Should().Be(InferencePath.LibTorchBFloat16);
        using var x = torch.rand(n, 28, 28);

        var exact = model.Predict(x);
        var reduced = model.Predict(x, BFloat16);

        reduced.Should().HaveCount(n);
        // bfloat16 keeps 8 significant bits (relative rounding 2^-9 per value): over these sums the logits move by
        // about 1e-3, and probabilities near 0.1 by less than 1e-3. 0.01 is far above that and far below a wrong layer.
        var worst = exact.Zip(reduced).Max(p => p.First.Probabilities.Zip(p.Second.Probabilities).Max(q => Math.Abs(q.First - q.Second)));
        worst.Should().BeLessThan(0.01f);
        reduced.Should().OnlyContain(p => Math.Abs(p.Probabilities.Sum() - 1) < 1e-3);
        LeakCheck.LiveTensorsAddedBy(() => model.Predict(x, BFloat16), repetitions: 5).Should().Be(0);
    }

    [Test]
    [Category("SharedFixtures")]
    public void Predict_BFloat16_RealCheckpoint_AgreesWithFloat32OnAtLeast99PercentOfMnistImages()
    {
        RequireBFloat16();
        var weights = TestPaths.RequireSharedFixture("pytorch/1RaghavM__PyTorch__model.pth");
        var imagesPath = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(weights);
        using var images = MnistImages.ReadFirst(imagesPath, 2000);

        var exact = model.Predict(images);
        var reduced = model.Predict(images, BFloat16);

        // Measured 99.7% here (benchmarks/README.md); 99% leaves room for other CPUs' oneDNN kernels.
        var agreement = exact.Zip(reduced).Count(p => p.First.Class == p.Second.Class) / 2000.0;
        agreement.Should().BeGreaterThanOrEqualTo(0.99);
    }

    [Test]
    public void BFloat16_WithoutAvx512Bf16_IsRefusedWithTheReason()
    {
        if (CpuFeatures.HasAvx512BFloat16)
        {
            Assert.Ignore("This CPU has AVX512_BF16: the refusal cannot happen here.");
        }
        torch.manual_seed(4);
        using var model = new NeuralNetwork();
        using var x = torch.rand(PackedInference.DefaultMaxBatchSize + 1, 784);

        model.Invoking(m => m.Predict(x, BFloat16)).Should().Throw<NotSupportedException>().WithMessage("*needs a CPU with AVX512_BF16*");
        new PredictorOptions { Precision = InferencePrecision.BFloat16 }.Validate()
            .Should().ContainSingle().Which.Should().Contain("AVX512_BF16");
    }

    [Test]
    public void CpuFeatures_Bf16ImpliesAvx512() =>
        (!CpuFeatures.HasAvx512BFloat16 || CpuFeatures.HasAvx512).Should().BeTrue();
}
