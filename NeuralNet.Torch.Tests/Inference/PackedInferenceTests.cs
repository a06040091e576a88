using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inference;

/// <summary>The packed path on the document's model's live weights (what <c>model.Predict</c> runs for small batches);
/// other chains in <see cref="MlpChainTests"/>, the frozen copy in <see cref="FrozenModelTests"/>.</summary>
public sealed class PackedInferenceTests
{
    // float32 sums of 784 and 512 products in another order than MKL's: differences are ~1e-7 on these values, so
    // 1e-5 on probabilities (and on the small logits of random weights) can only fail on a real error.
    private const float Tolerance = 1e-5f;

    private static readonly InferenceOptions PackedAlways = new() { PackedMaxBatchSize = 4096 };

    private static NeuralNetwork NewModel(NeuralNetworkVariant variant, int seed = 3)
    {
        torch.manual_seed(seed);
        return new NeuralNetwork(variant);
    }

    [Test]
    public void Predict_RandomWeights_EqualsLibTorchWithin1e5_ForEveryBatchShapeAndBothVariants(
        [Values] NeuralNetworkVariant variant, [Values(1, 2, 3, 4, 5, 8, 17, 64)] int batch)
    {
        using var model = NewModel(variant);
        using var x = torch.rand(batch, 28, 28);
        model.ChoosePath(batch, PackedAlways).Should().Be(InferencePath.Packed);

        var actual = model.Predict(x, PackedAlways);

        LibTorchReference.ShouldMatch(actual, LibTorchReference.Predict(model, x), Tolerance);
    }

    [TestCase("pytorch/AbirDey2002__pyTorch-Tutorial__model.pth")]
    [TestCase("pytorch/xjh2000__pytorch_tutorials__model.pth")]
    [TestCase("pytorch/1RaghavM__PyTorch__model.pth")]
    [Category("SharedFixtures")]
    public void Predict_RealCheckpointAndMnistImages_EqualsLibTorchWithin1e5_LiveAndFrozen(string checkpoint)
    {
        var weights = TestPaths.RequireSharedFixture(checkpoint);
        var imagesPath = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(weights);
        using var frozen = model.Freeze();
        using var images = MnistImages.ReadFirst(imagesPath, 256);
        var expected = LibTorchReference.Predict(model, images);

        // In the batch sizes the packed path serves: 1 (columns when frozen), 2 and 3 (interleaved when frozen), a
        // full block of 4, and larger ones.
        var live = new List<ClassPrediction>();
        var fromFrozen = new List<ClassPrediction>();
        for (var start = 0; start < 256;)
        {
            var size = start < 8 ? 1 : start < 20 ? 2 + start % 2 : start < 64 ? 4 : 64;
            size = Math.Min(size, 256 - start);
            using var slice = images.narrow(0, start, size);
            model.ChoosePath(size).Should().Be(InferencePath.Packed);
            live.AddRange(model.Predict(slice));
            fromFrozen.AddRange(frozen.Predict(slice));
            start += size;
        }

        LibTorchReference.ShouldMatch(live, expected, Tolerance);
        LibTorchReference.ShouldMatch(fromFrozen, expected, Tolerance);
    }

    [Test]
    public void Predict_NaNOrInfinity_ThrowsTheSameExceptionOnEveryPath([Values(float.NaN, float.PositiveInfinity, float.NegativeInfinity)] float bad)
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        var pixels = new float[3 * 784];
        pixels[5] = bad;
        pixels[784 + 7] = bad;
        using var x = torch.tensor(pixels, [3, 28, 28]);

        var libtorch = () => model.Predict(x, InferenceOptions.LibTorchOnly);
        var packed = () => model.Predict(x, PackedAlways);

        var expected = libtorch.Should().Throw<ArgumentException>().Which;
        expected.Message.Should().StartWith("Expected finite pixel values; found 2 NaN or infinite value(s) in the input.");
        expected.ParamName.Should().Be("images");
        packed.Should().Throw<ArgumentException>().Which.Message.Should().Be(expected.Message);
    }

    [Test]
    public void Predict_NonFloatOrWrongShape_ThrowsAsBefore_WhateverTheOptions()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        using var bytes = torch.zeros(new long[] { 1, 28, 28 }, ScalarType.Byte);
        using var wrong = torch.rand(2, 27, 28);

        model.Invoking(m => m.Predict(bytes, PackedAlways)).Should().Throw<ArgumentException>().WithMessage("Expected a floating-point tensor*");
        model.Invoking(m => m.Predict(wrong, PackedAlways)).Should().Throw<ArgumentException>().WithMessage("Expected images of shape*found [2, 27, 28].*");
        model.Predict(torch.zeros(0, 784), PackedAlways).Should().BeEmpty();
    }

    [Test]
    public void ChoosePath_CutOver_PackedUpToTheLimitThenLibTorch()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);

        model.ChoosePath(1).Should().Be(InferencePath.Packed);
        model.ChoosePath(PackedInference.DefaultMaxBatchSize).Should().Be(InferencePath.Packed);
        model.ChoosePath(PackedInference.DefaultMaxBatchSize + 1).Should().Be(InferencePath.LibTorch);
        model.ChoosePath(4096).Should().Be(InferencePath.LibTorch);
        model.ChoosePath(1, InferenceOptions.LibTorchOnly).Should().Be(InferencePath.LibTorch);
        model.ChoosePath(10, new InferenceOptions { PackedMaxBatchSize = 10 }).Should().Be(InferencePath.Packed);
        model.ChoosePath(11, new InferenceOptions { PackedMaxBatchSize = 10 }).Should().Be(InferencePath.LibTorch);
        PackedInference.IsSupported(model, out var reason).Should().BeTrue();
        reason.Should().BeEmpty();
        FluentActions.Invoking(() => new InferenceOptions { PackedMaxBatchSize = -1 }).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Test]
    public void ChoosePath_Float64Model_IsLibTorch_AndPredictStillWorks()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        model.to(ScalarType.Float64);
        using var x = torch.rand(2, 28, 28);

        model.ChoosePath(1).Should().Be(InferencePath.LibTorch);
        PackedInference.IsSupported(model, out var reason).Should().BeFalse();
        reason.Should().Be("the parameters are Float64, not Float32");
        using var x64 = x.to_type(ScalarType.Float64);
        // The float32 input is converted to float64, as libtorch then computes it; the softmax runs on the logits
        // rounded to float32.
        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x64), 1e-6f);
    }

    [Test]
    public void Predict_NonFloat32OrNonContiguousInput_IsConverted_WithTheSameResults()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        using var x = torch.rand(4, 28, 28);
        using var transposed = x.transpose(1, 2);
        using var contiguous = transposed.contiguous();
        using var doubles = x.to_type(ScalarType.Float64);

        LibTorchReference.ShouldMatch(model.Predict(transposed), LibTorchReference.Predict(model, contiguous), Tolerance);
        LibTorchReference.ShouldMatch(model.Predict(doubles), LibTorchReference.Predict(model, x), Tolerance);
    }

    [Test]
    public void ChoosePath_StackChanged_IsLibTorch_AndTheReasonNamesTheModule()
    {
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        var stack = (TorchSharp.Modules.Sequential)model.named_children().Single(c => c.name == "linear_relu_stack").module;
        stack.append(nn.Softmax(1));
        using var x = torch.rand(3, 784);

        model.ChoosePath(1).Should().Be(InferencePath.LibTorch);
        PackedInference.IsSupported(model, out var reason).Should().BeFalse();
        reason.Should().Be("'linear_relu_stack.5' (TorchSharp.Modules.Softmax) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");
        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x), 1e-6f);
    }

    [Test]
    public void IsSupported_ACnn_IsFalse_NamingItsFirstConvolution()
    {
        using var model = new LeNet();

        PackedInference.IsSupported(model, out var reason).Should().BeFalse();

        reason.Should().Be("'features.0' (TorchSharp.Modules.Conv2d) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");
        model.ChoosePath(1).Should().Be(InferencePath.LibTorch);
    }

    [Test]
    public void Predict_AfterTheWeightsChangeInPlace_UsesTheNewWeights()
    {
        // Training, load_state_dict and copy_ all write the parameters in place: the packed path reads them live.
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        using var x = torch.rand(4, 784);
        using var labels = torch.tensor(new long[] { 0, 1, 2, 3 });
        var before = model.Predict(x);

        model.train();
        using (var optimizer = optim.SGD(model.parameters(), 0.5))
        {
            for (var step = 0; step < 5; step++)
            {
                optimizer.zero_grad();
                using var loss = nn.functional.cross_entropy(model.forward(x), labels);
                loss.backward();
                optimizer.step();
            }
        }
        var afterTraining = model.Predict(x);
        LibTorchReference.ShouldMatch(afterTraining, LibTorchReference.Predict(model, x), Tolerance);
        afterTraining[0].Probabilities[0].Should().NotBeApproximately(before[0].Probabilities[0], 1e-3f, "five SGD steps at lr 0.5 move the outputs");

        using (no_grad())
        {
            foreach (var p in model.parameters())
            {
                p.requires_grad = false;
                p.mul_(2);
            }
        }
        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x), Tolerance);
        model.training.Should().BeTrue("the packed path does not touch the model's mode");
    }

    [Test]
    public void Predict_PackedPath_LeavesNoTensorBehind()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        using var x = torch.rand(4, 28, 28);
        using var doubles = x.to_type(ScalarType.Float64);

        LeakCheck.LiveTensorsAddedBy(() => model.Predict(x)).Should().Be(0);
        LeakCheck.LiveTensorsAddedBy(() => model.Predict(doubles)).Should().Be(0);
        LeakCheck.LiveTensorsAddedBy(() => model.Predict(x, InferenceOptions.LibTorchOnly)).Should().Be(0);
    }

    [Test]
    public void HelperThread_TakesPartInBatches_OnAMultiCoreMachine()
    {
        if (Environment.ProcessorCount < 2)
        {
            Assert.Ignore("One core: the packed path runs on the calling thread only.");
        }
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        using var x = torch.rand(1, 784);
        var before = HelperThread.Shared!.JobsJoined;

        // The helper wakes on the first job and then spins between back-to-back calls; a loaded machine may
        // deschedule it, so this asks only that it joined at least once in many tries.
        for (var i = 0; i < 2000 && HelperThread.Shared.JobsJoined == before; i++)
        {
            model.Predict(x);
        }

        HelperThread.Shared.JobsJoined.Should().BeGreaterThan(before);
    }
}
