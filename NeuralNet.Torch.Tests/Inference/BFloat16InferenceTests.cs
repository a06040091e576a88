using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
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
    public void Predict_BFloat16_NaNOrInfinity_IsRefusedWithTheExactCount(
        [Values(float.NaN, float.PositiveInfinity, float.NegativeInfinity)] float bad)
    {
        RequireBFloat16();
        torch.manual_seed(4);
        using var model = new NeuralNetwork();
        using var x = torch.rand(PackedInference.DefaultMaxBatchSize + 1, 784);
        using (torch.no_grad())
        {
            x[3, 5] = bad;
            x[256, 783] = bad;
            x[0, 0] = bad;
        }

        var act = () => model.Predict(x, BFloat16);

        act.Should().Throw<ArgumentException>()
            .WithMessage("Expected finite pixel values; found 3 NaN or infinite value(s) in the input.*")
            .And.ParamName.Should().Be("images");
    }

    [Test]
    public void CountBFloat16_FindsEveryExponentAllOnesValue_AtAnyPosition()
    {
        var bits = new ushort[200]; // 3 vector blocks and a scalar tail
        foreach (var (index, value) in new[] { (0, (ushort)0x7FC0), (63, (ushort)0x7F80), (130, (ushort)0xFF80), (199, (ushort)0x7FFF) })
        {
            bits[index] = value; // NaN, +inf, -inf, NaN
        }
        bits[7] = 0x7F7F; // the largest finite bfloat16
        bits[8] = 0x3F80; // 1.0

        NonFinite.CountBFloat16(bits).Should().Be(4);
        NonFinite.CountBFloat16(bits.AsSpan(1, 60)).Should().Be(0);
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
    public void Predict_BFloat16_AnyMlpChain_LiveAndFrozen_WithinBFloat16Rounding()
    {
        RequireBFloat16();
        using var model = TestChains.Build([100, 64, 37, 6]);
        using var frozen = model.Freeze();
        var n = PackedInference.DefaultMaxBatchSize + 3;
        using var x = torch.rand(n, 100);
        var exact = LibTorchReference.Predict(model, x);

        model.ChoosePath(n, BFloat16).Should().Be(InferencePath.LibTorchBFloat16);
        frozen.ChoosePath(n, BFloat16).Should().Be(InferencePath.LibTorchBFloat16);
        foreach (var reduced in new[] { model.Predict(x, BFloat16), frozen.Predict(x, BFloat16) })
        {
            // As above: 8 significant bits per value move these probabilities by far less than 0.01.
            reduced.Should().HaveCount(n);
            var worst = reduced.Select((p, i) => p.Probabilities.Select((q, k) => Math.Abs(q - exact.Probabilities[i * 6 + k])).Max()).Max();
            worst.Should().BeLessThan(0.01f);
            worst.Should().BeGreaterThan(0f, "the large batch ran in bfloat16, not float32");
        }
    }

    [Test]
    public void Predict_BFloat16_ModelThatIsNoMlpChain_IsRefusedNamingWhy([Values(1, 300)] int n)
    {
        using var model = new LeNet();
        using var x = torch.rand(n, 1, 28, 28);

        var act = () => model.Predict(x, BFloat16);

        act.Should().Throw<NotSupportedException>().WithMessage(
            "InferencePrecision.BFloat16 runs models whose forward is the chain [Flatten] Linear (ReLU Linear)* [ReLU] only; " +
            "'features.0' (TorchSharp.Modules.Conv2d) is not Flatten*. Use InferencePrecision.Float32.");
    }

    [Test]
    public void CpuFeatures_Bf16ImpliesAvx512() =>
        (!CpuFeatures.HasAvx512BFloat16 || CpuFeatures.HasAvx512).Should().BeTrue();
}
