using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inference;

/// <summary><c>model.Freeze()</c>: an immutable copy that predicts, and never a stale result: the live model's
/// predictions follow every change to its weights, the frozen copy's never do.</summary>
public sealed class FrozenModelTests
{
    private const float Tolerance = 1e-5f;

    private static NeuralNetwork NewModel(NeuralNetworkVariant variant = NeuralNetworkVariant.Quickstart, int seed = 3)
    {
        torch.manual_seed(seed);
        return new NeuralNetwork(variant);
    }

    // One sample (the column layout), three (interleaved), eight (row-major) and 300 (above the cut-over: libtorch on
    // the frozen copy): every path inside a frozen model.
    private static readonly int[] Batches = [1, 3, 8, 300];

    [Test]
    public void Weights_ChangedEveryWayAUserCan_LivePredictSeesEachChange_FrozenKeepsItsExactResults()
    {
        using var folder = new TempFolder();
        using (var other = NewModel(seed: 99))
        {
            other.SaveCheckpoint(folder.File("other.pth"));
        }
        var model = NewModel();
        var inputs = Batches.Select(n => torch.rand(n, 784)).ToArray();
        using var frozen = model.Freeze();
        var frozenResults = inputs.Select(x => frozen.Predict(x)).ToArray();
        foreach (var (x, i) in inputs.Select((x, i) => (x, i)))
        {
            LibTorchReference.ShouldMatch(frozenResults[i], LibTorchReference.Predict(model, x), Tolerance);
            frozen.ChoosePath(x.size(0)).Should().Be(x.size(0) <= PackedInference.DefaultMaxBatchSize ? InferencePath.Packed : InferencePath.LibTorch);
        }
        var first = (Linear)model.named_modules().Single(m => m.name == "linear_relu_stack.0").module;
        var last = (Linear)model.named_modules().Single(m => m.name == "linear_relu_stack.4").module;
        using var labels = torch.tensor(new long[] { 0, 1, 2 });

        var changes = new (string Name, Action Change)[]
        {
            ("copy_ under no_grad", () => { using (no_grad()) { last.weight.mul_(3f); } }),
            ("load_state_dict", () =>
            {
                using var source = NewModel(seed: 41);
                model.load_state_dict(source.state_dict());
            }),
            ("LoadCheckpoint", () => model.LoadCheckpoint(folder.File("other.pth"))),
            ("an optimizer step", () =>
            {
                model.train();
                using var optimizer = optim.SGD(model.parameters(), 2.0);
                optimizer.zero_grad();
                using var loss = nn.functional.cross_entropy(model.forward(inputs[1]), labels);
                loss.backward();
                optimizer.step();
            }),
            ("a replaced parameter", () =>
            {
                using var values = torch.randn(10) * 5;
                last.bias = new Parameter(values);
            }),
            ("to(float64) and a bias shifted", () =>
            {
                model.to(ScalarType.Float64);
                using (no_grad()) { last.bias!.add_(1.0); }
            }),
            ("to(float32) and a first weight scaled", () =>
            {
                model.to(ScalarType.Float32);
                using (no_grad()) { first.weight.mul_(-1f); }
            }),
            ("train()", () => model.train()),
            ("eval()", () => model.eval()),
        };
        var previous = inputs.Select(x => model.Predict(x)).ToArray();
        foreach (var (name, change) in changes)
        {
            change();

            for (var i = 0; i < inputs.Length; i++)
            {
                var live = model.Predict(inputs[i]);
                LibTorchReference.ShouldMatch(live, LibTorchReference.Predict(model, inputs[i]), Tolerance);
                if (!name.EndsWith("()", StringComparison.Ordinal))
                {
                    live[0].Probabilities.Should().NotEqual(previous[i][0].Probabilities, $"{name} changes the weights: the live model must see it");
                }
                previous[i] = live;
                LibTorchReference.ShouldBeIdentical(frozen.Predict(inputs[i]), frozenResults[i]);
            }
        }

        model.Dispose();
        foreach (var (x, i) in inputs.Select((x, i) => (x, i)))
        {
            LibTorchReference.ShouldBeIdentical(frozen.Predict(x), frozenResults[i]); // the copy outlives its model
            x.Dispose();
        }
    }

    [Test]
    public void Freeze_LeavesTheModelAsItWas_ModeAndRequiresGrad()
    {
        using var model = NewModel();
        model.train();
        var stack = model.named_modules().Single(m => m.name == "linear_relu_stack").module;
        stack.eval();

        using var frozen = model.Freeze();

        model.training.Should().BeTrue();
        stack.training.Should().BeFalse();
        model.named_modules().Single(m => m.name == "flatten").module.training.Should().BeTrue();
        model.parameters().Should().OnlyContain(p => p.requires_grad);
    }

    [Test]
    public void Freeze_FalseISequentialModuleDeclaration_IsRefused_BeforeAnythingIsServed()
    {
        torch.manual_seed(2);
        using var model = nn.Sequential(new ResidualBlock(16), nn.ReLU(), nn.Linear(16, 4)); // declares [fc], computes x + fc(x)

        PackedInference.IsSupported(model, out _).Should().BeTrue("the structure alone looks like a chain");
        var act = () => model.Freeze();

        act.Should().Throw<NotSupportedException>()
            .WithMessage("Cannot freeze the model: on a random batch its forward differs from the chain of its modules*largest difference*ISequentialModule*");
    }

    [Test]
    public void Forward_SingleSample_SkipsZeroInputs_AndEqualsLibTorchWithin1e5(
        [Values] NeuralNetworkVariant variant, [Values(0.0, 0.8, 1.0)] double zeroFraction)
    {
        using var model = NewModel(variant, seed: 5);
        using var frozen = model.Freeze();
        using var x = torch.randn(1, 784); // negative values too: many hidden units end at ReLU's zero
        using (no_grad())
        {
            x.masked_fill_(torch.rand(1, 784).lt(zeroFraction), 0f); // exact zeros: background pixels, a blank image
        }
        var logits = new float[10];

        frozen.Forward(x.data<float>().ToArray(), logits);

        frozen.Packed!.HasColumns.Should().BeTrue("one sample of a frozen model runs on the column layout, at every SIMD width");
        logits.Should().Equal(LibTorchReference.Logits(model, x), (a, e) => Math.Abs(a - e) <= Tolerance);
    }

    [Test]
    public void Forward_SingleSample_GivesTheSameBitsAtEveryCall_WhicheverOrderTheWeightsAreWalkedIn()
    {
        using var model = NewModel(NeuralNetworkVariant.Documented, seed: 8);
        using var frozen = model.Freeze();
        using var x = torch.randn(1, 784);
        var pixels = x.data<float>().ToArray();
        var first = new float[10];
        frozen.Forward(pixels, first);

        for (var call = 0; call < 5; call++) // odd and even calls walk the weights in opposite orders
        {
            var again = new float[10];
            frozen.Forward(pixels, again);
            again.Select(BitConverter.SingleToInt32Bits).Should().Equal(first.Select(BitConverter.SingleToInt32Bits), $"call {call + 2}");
        }
    }

    [Test]
    public void Freeze_InfiniteWeight_HasNoColumns_AndStillEqualsLibTorch()
    {
        using var model = NewModel();
        var first = (Linear)model.named_modules().Single(m => m.name == "linear_relu_stack.0").module;
        using (no_grad())
        {
            first.weight[0, 0] = float.PositiveInfinity; // 0 * inf is NaN: a zero pixel must not skip this column
        }
        using var frozen = model.Freeze();
        using var x = torch.rand(1, 784);
        using (no_grad())
        {
            x[0, 0] = 0f;
        }
        var logits = new float[10];

        frozen.Forward(x.data<float>().ToArray(), logits);

        frozen.Packed?.HasColumns.Should().BeFalse();
        logits.Should().Equal(LibTorchReference.Logits(model, x), (a, b) => a.Equals(b) || Math.Abs(a - b) <= Tolerance);
    }

    [Test]
    public void Predict_NaNOrInfinity_IsRefusedOnEveryPathAndSpanApi([Values(float.NaN, float.PositiveInfinity)] float bad)
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        var pixels = new float[300 * 784];
        pixels[5] = bad;
        pixels[784 + 7] = bad;
        using var x = torch.tensor(pixels, [300, 784]);
        using var small = x.narrow(0, 0, 2);

        foreach (var act in new Action[] { () => frozen.Predict(x), () => frozen.Predict(small), () => frozen.Predict(pixels, new float[3000], new int[300]) })
        {
            act.Should().Throw<ArgumentException>().WithMessage("Expected finite input values; found 2 NaN or infinite value(s) in the input.*");
        }
    }

    [Test]
    public void Predict_WrongShapeOrDtype_ThrowsNamingWhatItTakes()
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        using var wrong = torch.rand(2, 27, 28);
        using var ints = torch.zeros(new long[] { 2, 784 }, ScalarType.Int64);

        frozen.Invoking(f => f.Predict(wrong)).Should().Throw<ArgumentException>().WithMessage(
            "Expected input of shape [N, ...] with 784 values per sample (the model's chain starts with Flatten and a Linear of 784 inputs); found [2, 27, 28].*")
            .Which.ParamName.Should().Be("input");
        frozen.Invoking(f => f.Predict(ints)).Should().Throw<ArgumentException>().WithMessage("Expected a floating-point tensor; found dtype Int64.*");
        frozen.Predict(torch.zeros(0, 784)).Should().BeEmpty();
        frozen.InputFeatures.Should().Be(784);
        frozen.Classes.Should().Be(10);
    }

    [Test]
    public void PredictOne_AddsTheBatchDimension_AndEqualsPredict()
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        using var batch = torch.rand(1, 28, 28);
        using var image = batch.squeeze(0);

        LibTorchReference.ShouldBeIdentical([frozen.PredictOne(image)], frozen.Predict(batch));
    }

    [Test]
    public void Predict_ClassNames_LabelEachPrediction_AndAWrongCountIsRefused()
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        using var x = torch.rand(3, 784);
        var names = Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray();

        var predictions = frozen.Predict(x, new InferenceOptions { ClassNames = names });

        predictions.Should().OnlyContain(p => p.Label == $"class {p.Class}");
        frozen.Invoking(f => f.Predict(x, new InferenceOptions { ClassNames = ["a", "b"] })).Should().Throw<ArgumentException>()
            .WithMessage("Expected 10 class names, one per output of the model; InferenceOptions.ClassNames has 2.*");
    }

    [Test]
    public void SpanApi_WrongLengths_Throw()
    {
        using var model = NewModel();
        using var frozen = model.Freeze();

        frozen.Invoking(f => f.Forward(new float[783], new float[10]))
            .Should().Throw<ArgumentException>().WithMessage("Expected N samples of 784 values each; found 783 values.*");
        frozen.Invoking(f => f.Forward(new float[784 * 2], new float[10]))
            .Should().Throw<ArgumentException>().WithMessage("Expected 20 values for 2 samples; found a buffer of 10.*");
        frozen.Invoking(f => f.Predict(new float[784], new float[10], new int[2]))
            .Should().Throw<ArgumentException>().WithMessage("Expected 1 classes for 1 samples; found a buffer of 2.*");
    }

    [Test]
    public void SpanApi_EqualsPredict_AndAllocatesNothingInSteadyState([Values(1, 2, 8)] int n)
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        using var x = torch.rand(n, 784);
        var pixels = x.data<float>().ToArray();
        var probabilities = new float[n * 10];
        var classes = new int[n];
        for (var i = 0; i < 300; i++)
        {
            frozen.Predict(pixels, probabilities, classes); // past the JIT's tiering, which may allocate once on this thread
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            frozen.Predict(pixels, probabilities, classes);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        allocated.Should().Be(0, "the kernels use pinned per-thread scratch and the caller's buffers");
        var expected = LibTorchReference.Predict(model, x);
        classes.Select(c => (long)c).Should().Equal(expected.Classes);
        probabilities.Should().Equal(expected.Probabilities, (a, e) => Math.Abs(a - e) <= Tolerance);
    }

    [Test]
    public void SpanApi_FourThreadsAtOnceOnOneFrozenModel_EqualTheSequentialResults()
    {
        using var model = NewModel();
        using var frozen = model.Freeze();
        using var x = torch.rand(16, 784);
        var pixels = x.data<float>().ToArray();
        var expected = new float[160];
        frozen.Predict(pixels, expected, new int[16]);

        var failures = 0;
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var probabilities = new float[160];
            var classes = new int[16];
            for (var i = 0; i < 300; i++)
            {
                // Batches of 1 to 16 from different offsets, so the threads' jobs differ in size and path.
                var n = 1 + ((t * 300 + i) % 16);
                frozen.Predict(pixels.AsSpan(0, n * 784), probabilities.AsSpan(0, n * 10), classes.AsSpan(0, n));
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
    public void Freeze_Float64Model_RunsLibTorch_AndTheSpanApiSaysWhyNot()
    {
        using var model = NewModel();
        model.to(ScalarType.Float64);
        using var frozen = model.Freeze();
        using var x = torch.rand(3, 784, dtype: ScalarType.Float64);

        frozen.ChoosePath(1).Should().Be(InferencePath.LibTorch);
        frozen.DType.Should().Be(ScalarType.Float64);
        LibTorchReference.ShouldMatch(frozen.Predict(x), LibTorchReference.Predict(model, x), 1e-6f);
        frozen.Invoking(f => f.Forward(new float[784], new float[10])).Should().Throw<NotSupportedException>()
            .WithMessage("The packed path cannot run this frozen model: the parameters are Float64, not Float32.");
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void Freeze_OnADevice_PredictsThere_EqualToTheCpuWithinFloatTolerance(string deviceName)
    {
        using var model = NewModel();
        using var x = torch.rand(16, 784);
        var onCpu = LibTorchReference.Predict(model, x);
        model.to(TestDevices.Get(deviceName));

        using var frozen = model.Freeze();

        frozen.Device.type.Should().Be(TestDevices.Get(deviceName).type);
        // GPU GEMMs sum in another order (and may use TF32): 1e-4 on probabilities is far above float32 rounding.
        LibTorchReference.ShouldMatch(frozen.Predict(x), onCpu, 1e-4f);
    }

    [Test]
    public void Dispose_ThenPredict_ThrowsObjectDisposed_AndDisposingTwiceIsFine()
    {
        using var model = NewModel();
        var frozen = model.Freeze();
        using var x = torch.rand(1, 784);

        frozen.Dispose();
        frozen.Dispose();

        frozen.Invoking(f => f.Predict(x)).Should().Throw<ObjectDisposedException>();
        frozen.Invoking(f => f.Forward(new float[784], new float[10])).Should().Throw<ObjectDisposedException>();
        model.Predict(x).Should().HaveCount(1, "the model is not touched by its frozen copy");
    }

    [Test]
    public void FreezeAndPredict_LeaveNoTensorBehind()
    {
        using var model = NewModel();
        using var small = torch.rand(2, 784);
        using var large = torch.rand(300, 784);
        using var frozen = model.Freeze();

        LeakCheck.LiveTensorsAddedBy(() => model.Freeze().Dispose(), repetitions: 20).Should().Be(0);
        LeakCheck.LiveTensorsAddedBy(() => frozen.Predict(small)).Should().Be(0);
        LeakCheck.LiveTensorsAddedBy(() => frozen.Predict(large), repetitions: 20).Should().Be(0);
        var wrong = nn.Sequential(new ResidualBlock(4), nn.ReLU(), nn.Linear(4, 2));
        LeakCheck.LiveTensorsAddedBy(() => wrong.Invoking(m => m.Freeze()).Should().Throw<NotSupportedException>(), repetitions: 20).Should().Be(0);
        wrong.Dispose();
    }
}
