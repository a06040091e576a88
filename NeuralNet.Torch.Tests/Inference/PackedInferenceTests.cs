using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inference;

public sealed class PackedInferenceTests
{
    // float32 sums of 784 and 512 products in another order than MKL's: differences are ~1e-7 on these values, so
    // 1e-5 on probabilities (and on the small logits of random weights) can only fail on a real error.
    private const float Tolerance = 1e-5f;

    private static readonly InferenceOptions PackedAlways = new() { PackedMaxBatchSize = 4096 };

    [TearDown]
    public void RestoreKernels() => DenseKernels.UseVector512 = CpuFeatures.HasAvx512;

    private static NeuralNetwork NewModel(NeuralNetworkVariant variant, int seed = 3)
    {
        torch.manual_seed(seed);
        return new NeuralNetwork(variant);
    }

    private static void ShouldMatch(IReadOnlyList<ClassPrediction> actual, IReadOnlyList<ClassPrediction> expected)
    {
        actual.Should().HaveCount(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].Class.Should().Be(expected[i].Class, $"image {i}");
            actual[i].Probabilities.Should().HaveCount(NeuralNetwork.OutputFeatures);
            for (var k = 0; k < NeuralNetwork.OutputFeatures; k++)
            {
                actual[i].Probabilities[k].Should().BeApproximately(expected[i].Probabilities[k], Tolerance, $"image {i}, class {k}");
            }
        }
    }

    [Test]
    public void Predict_RandomWeights_EqualsLibTorchWithin1e5_ForEveryBatchShapeAndBothVariants(
        [Values] NeuralNetworkVariant variant, [Values(1, 2, 3, 4, 5, 8, 17, 64)] int batch, [Values] bool vector512, [Values] bool frozen)
    {
        if (vector512 && !CpuFeatures.HasAvx512)
        {
            Assert.Ignore("This CPU has no AVX-512: only the TensorPrimitives kernels run here.");
        }
        DenseKernels.UseVector512 = vector512;
        using var model = NewModel(variant);
        if (frozen)
        {
            PackedInference.Freeze(model); // batches of 1 to 3 then run on the interleaved snapshot
        }
        using var x = torch.rand(batch, 28, 28);

        var expected = model.Predict(x, InferenceOptions.LibTorchOnly);
        var actual = model.Predict(x, PackedAlways);

        ShouldMatch(actual, expected);
    }

    [Test]
    public void Forward_LogitsEqualLibTorchsForwardWithin1e5([Values] NeuralNetworkVariant variant)
    {
        using var model = NewModel(variant);
        using var x = torch.randn(9, 784); // wider than pixels in [0, 1]: negative pre-activations reach every ReLU
        using var expected = no_grad_forward(model, x);
        var logits = new float[9 * 10];

        PackedInference.Forward(model, x.data<float>().ToArray(), logits);

        var e = expected.data<float>().ToArray();
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i].Should().BeApproximately(e[i], Tolerance, $"logit {i}");
        }
        if (variant == NeuralNetworkVariant.Documented)
        {
            logits.Should().OnlyContain(v => v >= 0, "the documented model ends with a ReLU");
        }
    }

    [Test]
    public void Forward_SingleImageOnAFrozenModel_SkipsZeroPixels_AndEqualsLibTorchWithin1e5(
        [Values] NeuralNetworkVariant variant, [Values(0.0, 0.8, 1.0)] double zeroFraction)
    {
        if (!CpuFeatures.HasAvx512)
        {
            Assert.Ignore("This CPU has no AVX-512: frozen models use no snapshot here.");
        }
        using var model = PackedInference.Freeze(NewModel(variant, seed: 5));
        using var x = torch.randn(1, 784); // negative values too: many hidden units end at ReLU's zero
        using (no_grad())
        {
            x.masked_fill_(torch.rand(1, 784).lt(zeroFraction), 0f); // exact zeros: background pixels, a blank image
        }
        using var expected = no_grad_forward(model, x);
        var logits = new float[10];

        PackedInference.Forward(model, x.data<float>().ToArray(), logits);

        model.PackedSnapshot!.HasColumns.Should().BeTrue("one image on a frozen model runs on the column snapshot");
        var e = expected.data<float>().ToArray();
        for (var k = 0; k < logits.Length; k++)
        {
            logits[k].Should().BeApproximately(e[k], Tolerance, $"logit {k}");
        }
    }

    [Test]
    public void Forward_SingleImage_GivesTheSameBitsAtEveryCall_WhicheverOrderTheWeightsAreWalkedIn()
    {
        using var model = PackedInference.Freeze(NewModel(NeuralNetworkVariant.Documented, seed: 8));
        using var x = torch.randn(1, 784);
        var pixels = x.data<float>().ToArray();
        var first = new float[10];
        PackedInference.Forward(model, pixels, first);

        for (var call = 0; call < 5; call++) // odd and even calls walk the weights in opposite orders
        {
            var again = new float[10];
            PackedInference.Forward(model, pixels, again);
            again.Select(BitConverter.SingleToInt32Bits).Should().Equal(first.Select(BitConverter.SingleToInt32Bits), $"call {call + 2}");
        }
    }

    [Test]
    public void Snapshot_InfiniteWeight_HasNoColumns_AndStillEqualsLibTorch()
    {
        if (!CpuFeatures.HasAvx512)
        {
            Assert.Ignore("This CPU has no AVX-512: frozen models use no snapshot here.");
        }
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        var first = (TorchSharp.Modules.Linear)model.Stack[0];
        using (no_grad())
        {
            first.weight[0, 0] = float.PositiveInfinity; // 0 * inf is NaN: a zero pixel must not skip this column
        }
        PackedInference.Freeze(model);
        using var x = torch.rand(1, 784);
        using (no_grad())
        {
            x[0, 0] = 0f;
        }
        using var expected = no_grad_forward(model, x);
        var logits = new float[10];

        PackedInference.Forward(model, x.data<float>().ToArray(), logits);

        model.PackedSnapshot!.HasColumns.Should().BeFalse();
        logits.Should().Equal(expected.data<float>().ToArray(), (a, b) => a.Equals(b) || Math.Abs(a - b) <= Tolerance);
    }

    private static Tensor no_grad_forward(NeuralNetwork model, Tensor x)
    {
        using var _ = no_grad();
        return model.forward(x);
    }

    [TestCase("pytorch/AbirDey2002__pyTorch-Tutorial__model.pth")]
    [TestCase("pytorch/xjh2000__pytorch_tutorials__model.pth")]
    [TestCase("pytorch/1RaghavM__PyTorch__model.pth")]
    [Category("SharedFixtures")]
    public void Predict_RealCheckpointAndMnistImages_EqualsLibTorchWithin1e5(string checkpoint)
    {
        var weights = TestPaths.RequireSharedFixture(checkpoint);
        var imagesPath = TestPaths.RequireSharedFixture("mnist/t10k-images-idx3-ubyte.gz");
        using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        model.LoadCheckpoint(weights);
        using var images = MnistImages.ReadFirst(imagesPath, 256);

        if (checkpoint.StartsWith("pytorch/1R", StringComparison.Ordinal))
        {
            PackedInference.Freeze(model); // one of the three through the frozen model's snapshot
        }
        var expected = model.Predict(images, InferenceOptions.LibTorchOnly);
        // In the batch sizes the packed path serves: 1, a full block of 4, and its cut-over.
        var actual = new List<ClassPrediction>();
        for (var start = 0; start < 256;)
        {
            var size = start < 8 ? 1 : start < 64 ? 4 : 64;
            using var slice = images.narrow(0, start, size);
            model.ChoosePath(size).Should().Be(InferencePath.Packed);
            actual.AddRange(model.Predict(slice));
            start += size;
        }

        ShouldMatch(actual, expected);
    }

    [Test]
    public void Predict_NaNOrInfinity_ThrowsTheSameExceptionAsLibTorch([Values(float.NaN, float.PositiveInfinity, float.NegativeInfinity)] float bad)
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        var pixels = new float[3 * 784];
        pixels[5] = bad;
        pixels[784 + 7] = bad;
        using var x = torch.tensor(pixels, [3, 28, 28]);

        var libtorch = () => model.Predict(x, InferenceOptions.LibTorchOnly);
        var packed = () => model.Predict(x, PackedAlways);
        var spans = () => PackedInference.Predict(model, pixels, new float[30], new int[3]);

        var expected = libtorch.Should().Throw<ArgumentException>().Which;
        expected.Message.Should().StartWith("Expected finite pixel values; found 2 NaN or infinite value(s) in the input.");
        packed.Should().Throw<ArgumentException>().Which.Message.Should().Be(expected.Message);
        spans.Should().Throw<ArgumentException>().Which.Message.Should().Be(expected.Message);
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
    public void SpanApi_WrongLengths_Throw()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);

        FluentActions.Invoking(() => PackedInference.Forward(model, new float[783], new float[10]))
            .Should().Throw<ArgumentException>().WithMessage("Expected N images of 784 values each; found 783 values.*");
        FluentActions.Invoking(() => PackedInference.Forward(model, new float[784 * 2], new float[10]))
            .Should().Throw<ArgumentException>().WithMessage("Expected 20 values for 2 images; found a buffer of 10.*");
        FluentActions.Invoking(() => PackedInference.Predict(model, new float[784], new float[10], new int[2]))
            .Should().Throw<ArgumentException>().WithMessage("Expected 1 classes for 1 images; found a buffer of 2.*");
        FluentActions.Invoking(() => PackedInference.Forward(null!, new float[784], new float[10])).Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void SpanApi_EqualsPredict_AndAllocatesNothingInSteadyState()
    {
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        using var x = torch.rand(8, 784);
        var pixels = x.data<float>().ToArray();
        var expected = model.Predict(x, InferenceOptions.LibTorchOnly);
        var probabilities = new float[80];
        var classes = new int[8];
        PackedInference.Predict(model, pixels, probabilities, classes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            PackedInference.Predict(model, pixels, probabilities, classes);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0, "the kernels use pinned per-thread scratch and the caller's buffers");
        classes.Should().Equal(expected.Select(p => p.Class));
        for (var i = 0; i < 80; i++)
        {
            probabilities[i].Should().BeApproximately(expected[i / 10].Probabilities[i % 10], Tolerance);
        }
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
        model.Predict(x).Should().HaveCount(2);
        FluentActions.Invoking(() => PackedInference.Forward(model, new float[784], new float[10]))
            .Should().Throw<NotSupportedException>().WithMessage("The packed path cannot run this model: the parameters are Float64, not Float32.");
    }

    [Test]
    public void Predict_NonFloat32OrNonContiguousInput_IsConverted_WithTheSameResults()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        using var x = torch.rand(4, 28, 28);
        using var transposed = x.transpose(1, 2);
        using var contiguous = transposed.contiguous();
        using var doubles = x.to_type(ScalarType.Float64);

        ShouldMatch(model.Predict(transposed), model.Predict(contiguous, InferenceOptions.LibTorchOnly));
        ShouldMatch(model.Predict(doubles), model.Predict(x, InferenceOptions.LibTorchOnly));
    }

    [Test]
    public void ChoosePath_StackChanged_IsLibTorch()
    {
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        var stack = (TorchSharp.Modules.Sequential)model.named_children().Single(c => c.name == "linear_relu_stack").module;
        stack.append(nn.Softmax(1));

        model.ChoosePath(1).Should().Be(InferencePath.LibTorch);
        PackedInference.IsSupported(model, out var reason).Should().BeFalse();
        reason.Should().Contain("no longer Linear, ReLU, Linear, ReLU, Linear");
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
        ShouldMatch(afterTraining, model.Predict(x, InferenceOptions.LibTorchOnly));
        afterTraining[0].Probabilities[0].Should().NotBeApproximately(before[0].Probabilities[0], 1e-3f, "five SGD steps at lr 0.5 move the outputs");

        using (no_grad())
        {
            foreach (var p in model.parameters())
            {
                p.requires_grad = false;
                p.mul_(2);
            }
        }
        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
        model.training.Should().BeTrue("the packed path does not touch the model's mode");
    }

    [Test]
    public void Predict_PackedPath_LeavesNoTensorBehind()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented);
        using var x = torch.rand(4, 28, 28);

        LeakCheck.LiveTensorsAddedBy(() => model.Predict(x)).Should().Be(0);
        LeakCheck.LiveTensorsAddedBy(() => model.Predict(x, InferenceOptions.LibTorchOnly)).Should().Be(0);
    }

    [Test]
    public void SpanApi_FourThreadsAtOnceOnOneModel_EqualTheSequentialResults([Values] bool frozen)
    {
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        if (frozen)
        {
            PackedInference.Freeze(model); // single images then run on the column snapshot, with or without the helper
        }
        using var x = torch.rand(16, 784);
        var pixels = x.data<float>().ToArray();
        var expected = new float[160];
        var expectedClasses = new int[16];
        PackedInference.Predict(model, pixels, expected, expectedClasses);

        var failures = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var probabilities = new float[160];
            var classes = new int[16];
            for (var i = 0; i < 300; i++)
            {
                // Batches of 1 to 16 from different offsets, so the threads' jobs differ in size.
                var n = 1 + ((t * 300 + i) % 16);
                PackedInference.Predict(model, pixels.AsSpan(0, n * 784), probabilities.AsSpan(0, n * 10), classes.AsSpan(0, n));
                for (var j = 0; j < n * 10; j++)
                {
                    if (Math.Abs(probabilities[j] - expected[j]) > Tolerance)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        failures.Should().Be(0);
    }

    [Test]
    public void HelperThread_TakesPartInBatches_OnAMultiCoreMachine()
    {
        if (Environment.ProcessorCount < 2)
        {
            Assert.Ignore("One core: the packed path runs on the calling thread only.");
        }
        using var model = NewModel(NeuralNetworkVariant.Quickstart);
        var pixels = new float[784];
        var probabilities = new float[10];
        var classes = new int[1];
        var before = HelperThread.Shared!.JobsJoined;

        // The helper wakes on the first job and then spins between back-to-back calls; a loaded machine may
        // deschedule it, so this asks only that it joined at least once in many tries.
        for (var i = 0; i < 2000 && HelperThread.Shared.JobsJoined == before; i++)
        {
            PackedInference.Predict(model, pixels, probabilities, classes);
        }

        HelperThread.Shared.JobsJoined.Should().BeGreaterThan(before);
    }

    [Test]
    public void Snapshot_FrozenModel_IsUsed_AndRetiredByTrainingMode()
    {
        using var model = PackedInference.Freeze(NewModel(NeuralNetworkVariant.Documented));
        using var x = torch.rand(1, 784);

        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
        model.PackedSnapshot.Should().NotBeNull("a frozen model in eval mode gets the interleaved snapshot");

        model.train();
        model.PackedSnapshot.Should().BeNull();
        using (no_grad())
        {
            foreach (var p in model.parameters())
            {
                p.mul_(1.5);
            }
        }
        model.eval();

        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
    }

    [Test]
    public void Snapshot_RequiresGradTurnedOn_IsNotUsed_SoTrainingIsSeen()
    {
        using var model = PackedInference.Freeze(NewModel(NeuralNetworkVariant.Quickstart));
        using var x = torch.rand(1, 784);
        using var labels = torch.tensor(new long[] { 3 });
        model.Predict(x);
        model.PackedSnapshot.Should().NotBeNull();

        // Fine-tuning in eval mode (no train() call): only requires_grad changes.
        foreach (var p in model.parameters())
        {
            p.requires_grad = true;
        }
        using (var optimizer = optim.SGD(model.parameters(), 0.5))
        {
            optimizer.zero_grad();
            using var loss = nn.functional.cross_entropy(model.forward(x), labels);
            loss.backward();
            optimizer.step();
        }

        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
        // And frozen again: a new snapshot of the trained weights.
        PackedInference.Freeze(model);
        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
    }

    [Test]
    public void Snapshot_LoadCheckpoint_RetiresIt()
    {
        using var folder = new TempFolder();
        using (var other = NewModel(NeuralNetworkVariant.Quickstart, seed: 99))
        {
            other.SaveCheckpoint(folder.File("other.pth"));
        }
        using var model = PackedInference.Freeze(NewModel(NeuralNetworkVariant.Quickstart));
        using var x = torch.rand(1, 784);
        model.Predict(x);

        model.LoadCheckpoint(folder.File("other.pth"));

        ShouldMatch(model.Predict(x), model.Predict(x, InferenceOptions.LibTorchOnly));
    }

    [Test]
    public void Snapshot_InPlaceWriteToAFrozenModel_NeedsRefresh_AsDocumented()
    {
        using var model = PackedInference.Freeze(NewModel(NeuralNetworkVariant.Quickstart));
        using var x = torch.rand(1, 784);
        var before = model.Predict(x);
        using (no_grad())
        {
            model.parameters().ElementAt(4).mul_(3f); // the last weight: the logits move apart
        }
        var after = model.Predict(x, InferenceOptions.LibTorchOnly);
        after[0].Probabilities[0].Should().NotBeApproximately(before[0].Probabilities[0], 1e-4f);

        // The one write the snapshot cannot see (a frozen model written in place by other code): still the old weights.
        ShouldMatch(model.Predict(x), before);

        PackedInference.Refresh(model);
        ShouldMatch(model.Predict(x), after);
        model.PackedSnapshot.Should().NotBeNull("the next call copies the weights again");
    }
}
