using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Tests.Onnx;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inference;

/// <summary>The packed path recognises any chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c> by its structure and
/// computes it as libtorch does, whatever the widths and depth.</summary>
public sealed class MlpChainTests
{
    // Sums of up to 784 products of values of order 1 in another order than MKL's: ~1e-6 apart. 1e-5 cannot hide a
    // wrong weight, a missing ReLU or a padded unit that leaks into the next layer.
    private const float Tolerance = 1e-5f;

    // Widths chosen to reach every branch of the kernels at every SIMD width: multiples of 16 and not, one Linear, one
    // class, deep chains (more hidden layers than one helper-thread job holds), a first layer of 1, 2 and 3 parts of
    // 128 units (more, smaller parts below 512 bits), a second layer padded to 128 and to 384 (blocks of 256 + 128 at
    // 512 bits), an output wide enough to be split across cores.
    private static readonly int[][] Widths =
    [
        [784, 256, 128, 10],
        [100, 37, 5],
        [13, 1],
        [20, 3],
        [33, 130, 70, 40, 20, 7],
        [784, 384, 300, 80],
        [10, 200, 200, 200, 200, 200, 10],
        [64, 48, 16, 2],
    ];

    public static IEnumerable<TestCaseData> Chains() =>
        Widths.Select((w, i) => new TestCaseData(w, i % 2 == 1, i % 3 != 2).SetArgDisplayNames(string.Join("-", w) + (i % 2 == 1 ? "-relu" : "") + (i % 3 != 2 ? "" : "-nobias")));

    [TestCaseSource(nameof(Chains))]
    public void Predict_AnyWidthsAndDepth_EqualsLibTorchWithin1e5_LiveAndFrozen_AtEveryBatchSize(int[] widths, bool finalRelu, bool bias)
    {
        using var model = TestChains.Build(widths, finalRelu: finalRelu, bias: bias);
        using var frozen = model.Freeze();
        foreach (var n in new[] { 1, 2, 3, 4, 9 })
        {
            using var x = TestChains.Input(n, widths[0], seed: n);
            var expected = LibTorchReference.Predict(model, x);
            model.ChoosePath(n).Should().Be(InferencePath.Packed);
            frozen.ChoosePath(n).Should().Be(InferencePath.Packed);

            LibTorchReference.ShouldMatch(model.Predict(x), expected, Tolerance);
            LibTorchReference.ShouldMatch(frozen.Predict(x), expected, Tolerance);
            var logits = new float[n * widths[^1]];
            frozen.Forward(x.data<float>().ToArray(), logits);
            logits.Should().Equal(LibTorchReference.Logits(model, x), (a, e) => Math.Abs(a - e) <= Tolerance, $"logits of {n} at {DenseKernels.VectorBits} bits");
        }
    }

    [Test]
    public void Freeze_FirstLayerOfThreeParts_GivesTheSameBitsAtEveryCall_WhicheverOrderThePartsAreWalkedIn()
    {
        using var model = TestChains.Build([784, 384, 300, 80]);
        using var frozen = model.Freeze();
        var x = TestChains.Input(1, 784).data<float>().ToArray();
        var first = new float[80];
        frozen.Forward(x, first);

        for (var call = 0; call < 5; call++) // odd and even calls walk the parts and blocks in opposite orders
        {
            var again = new float[80];
            frozen.Forward(x, again);
            again.Select(BitConverter.SingleToInt32Bits).Should().Equal(first.Select(BitConverter.SingleToInt32Bits), $"call {call + 2}");
        }
    }

    [Test]
    public void IsSupported_TheDocumentsModel_APlainSequential_AndUserModulesThatDeclareISequentialModule_AreChains()
    {
        using var documented = new NeuralNetwork();
        using var zooMlp = new Mlp();
        using var plain = TestChains.Build([784, 64, 10]);
        using var nested = nn.Sequential(nn.Flatten(), nn.Sequential(nn.Linear(784, 32), nn.ReLU()), nn.Sequential(nn.Linear(32, 10)));
        using var declared = nn.Sequential(new DeclaredBlock(784, 64, nn.ReLU()), nn.Linear(64, 10));

        foreach (var model in new nn.Module<Tensor, Tensor>[] { documented, zooMlp, plain, nested, declared })
        {
            PackedInference.IsSupported(model, out var reason).Should().BeTrue(reason);
            model.ChoosePath(1).Should().Be(InferencePath.Packed);
        }
    }

    [Test]
    public void Predict_UserModuleDeclaringISequentialModule_RunsPacked_AndEqualsLibTorch()
    {
        torch.manual_seed(9);
        using var model = nn.Sequential(new DeclaredBlock(784, 64, nn.ReLU()), nn.Linear(64, 10));
        using var x = torch.rand(3, 784);

        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x), Tolerance);
        using var frozen = model.Freeze();
        LibTorchReference.ShouldMatch(frozen.Predict(x), LibTorchReference.Predict(model, x), Tolerance);
    }

    public static IEnumerable<TestCaseData> NotChains()
    {
        yield return Case("a Dropout", () => nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2)),
            "'2' (TorchSharp.Modules.Dropout) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");
        yield return Case("two Linear", () => nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2)),
            "'1' (TorchSharp.Modules.Linear) follows a Linear where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a ReLU or its end");
        yield return Case("ReLU first", () => nn.Sequential(nn.ReLU(), nn.Linear(4, 2)),
            "'0' (TorchSharp.Modules.ReLU) comes where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a Linear");
        yield return Case("Flatten(0)", () => nn.Sequential(nn.Flatten(0), nn.Linear(4, 2)),
            "'0' (TorchSharp.Modules.Flatten) flattens dimensions 0 to -1, not 1 to -1");
        yield return Case("a Sigmoid", () => nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 2)),
            "'1' (TorchSharp.Modules.Sigmoid) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");
        yield return Case("an undeclared module", () => nn.Sequential(new UndeclaredBlock(4), nn.Linear(4, 2)),
            "'0' (NeuralNet.Torch.Tests.Onnx.UndeclaredBlock) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");
        yield return Case("a misdeclared module", () => nn.Sequential(new MisdeclaredBlock(4), nn.Linear(4, 2)),
            "'0' (NeuralNet.Torch.Tests.TestSupport.MisdeclaredBlock) declares ISequentialModule with the children [fc, fc], but it has [fc, act]");
        yield return Case("no layer", () => nn.Sequential(nn.Flatten()), "the model has no Linear layer");
        yield return Case("a CNN", () => new LeNet(),
            "'features.0' (TorchSharp.Modules.Conv2d) is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module");

        static TestCaseData Case(string name, Func<nn.Module<Tensor, Tensor>> make, string reason) =>
            new TestCaseData(make, reason).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(NotChains))]
    public void IsSupported_NotAChain_IsFalse_NamingTheModuleThatBreaksIt_AndPredictRunsLibTorch(Func<nn.Module<Tensor, Tensor>> make, string reason)
    {
        using var model = make();

        PackedInference.IsSupported(model, out var actual).Should().BeFalse();

        actual.Should().Be(reason);
        model.ChoosePath(1).Should().Be(InferencePath.LibTorch);
        model.Invoking(m => m.Freeze()).Should().Throw<NotSupportedException>().WithMessage($"Freeze takes a model whose forward is the chain*; {reason}. Other models*");
    }

    [Test]
    public void IsSupported_WidthsThatDoNotChain_IsFalse_AndLibTorchNamesTheProblem()
    {
        using var model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(5, 2));
        using var x = torch.rand(2, 8);

        PackedInference.IsSupported(model, out var reason).Should().BeFalse();

        reason.Should().Be("Linear layer 1 takes 5 values, but the layer before it gives 6");
        model.Invoking(m => m.Predict(x)).Should().Throw<ArgumentException>().WithMessage("The model cannot take input of shape [2, 8] (Float32): mat1 and mat2 shapes cannot be multiplied*");
    }

    [Test]
    public void Predict_ChainWithoutFlatten_TakesOnly2DInput_OtherShapesGoToLibTorch()
    {
        using var model = TestChains.Build([12, 8, 3], flatten: false);
        using var x = torch.rand(4, 12);
        using var threeD = torch.rand(4, 2, 12);

        LibTorchReference.ShouldMatch(model.Predict(x), LibTorchReference.Predict(model, x), Tolerance);
        // libtorch's Linear maps the last dimension: [4, 2, 3] logits, which are not [N, C].
        model.Invoking(m => m.Predict(threeD)).Should().Throw<NotSupportedException>().WithMessage("*it returned [4, 2, 3] (Float32) for input of shape [4, 2, 12].");
        using var frozen = model.Freeze();
        frozen.Invoking(f => f.Predict(threeD)).Should().Throw<ArgumentException>()
            .WithMessage("Expected input of shape [N, 12] (the model's chain starts with a Linear of 12 inputs); found [4, 2, 12].*");
    }
}
