using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary><see cref="Checkpoint.ReadStateDict"/> (a file's tensors, owned by the caller) and
/// <see cref="Checkpoint.LoadStateDict"/> (a dictionary into a model, with <c>LoadCheckpoint</c>'s rules): a failed
/// load of each kind changes nothing, the caller's tensors are never changed or disposed, nothing leaks.</summary>
public sealed class StateDictTests
{
    private TempFolder _folder = null!;
    private NeuralNetwork _model = null!;
    private string _path = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        _path = _folder.File("model.pth");
        manual_seed(51);
        using (var saved = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            saved.SaveCheckpoint(_path);
        }
        manual_seed(52);
        _model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
    }

    [TearDown]
    public void TearDown()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    [TestCase(".pth")]
    [TestCase(".safetensors")]
    [TestCase(".dat")]
    public void ReadStateDict_AnyFormat_GivesTheFilesTensorsInOrderOnTheCpuForTheCallerToDispose(string extension)
    {
        var path = _folder.File("copy" + extension);
        using (var saved = Model(51))
        {
            saved.SaveCheckpoint(path);
        }
        var live = LiveTensors.Settled();

        var state = Checkpoint.ReadStateDict(path);

        LiveTensors.Count.Should().Be(live + 6, "the six tensors are the caller's");
        state.Keys.Should().Equal(
            "linear_relu_stack.0.weight", "linear_relu_stack.0.bias", "linear_relu_stack.2.weight", "linear_relu_stack.2.bias",
            "linear_relu_stack.4.weight", "linear_relu_stack.4.bias");
        state.Values.Should().OnlyContain(t => t.device_type == DeviceType.CPU && !t.requires_grad && t.is_contiguous());
        state["linear_relu_stack.2.weight"].shape.Should().Equal(512, 512);
        using (var model = Model(51))
        {
            foreach (var (key, tensor) in model.state_dict())
            {
                state[key].bytes.SequenceEqual(tensor.bytes).Should().BeTrue(key);
            }
        }
        var afterCheck = LiveTensors.Count;
        foreach (var tensor in state.Values)
        {
            tensor.Dispose();
        }
        LiveTensors.Count.Should().Be(afterCheck - 6, "disposing them frees them");
    }

    [Test]
    public void ReadStateDict_InsideADisposeScope_IsDisposedWithTheScope()
    {
        OrderedDictionary<string, Tensor> state;
        using (NewDisposeScope())
        {
            state = Checkpoint.ReadStateDict(_path);
        }

        state.Values.Should().OnlyContain(t => t.IsInvalid);
    }

    [Test]
    public void LoadStateDict_KeysRenamedWhilePorting_LoadsStrictlyAndLeavesTheCallersTensorsAlone()
    {
        // A port whose file says fc1/fc2/fc3 where the model says linear_relu_stack.0/2/4.
        var original = Checkpoint.ReadStateDict(_path);
        var renamed = new OrderedDictionary<string, Tensor>();
        foreach (var (key, tensor) in original)
        {
            renamed.Add(key.Replace("linear_relu_stack.0", "fc1").Replace("linear_relu_stack.2", "fc2").Replace("linear_relu_stack.4", "fc3"), tensor);
        }
        var ported = renamed.ToDictionary(kv => kv.Key.Replace("fc1", "linear_relu_stack.0").Replace("fc2", "linear_relu_stack.2").Replace("fc3", "linear_relu_stack.4"), kv => kv.Value);
        var copies = original.ToDictionary(kv => kv.Key, kv => kv.Value.bytes.ToArray());

        var result = _model.LoadStateDict(ported);

        result.ToString().Should().Be("<All keys matched successfully>");
        foreach (var (key, tensor) in _model.state_dict())
        {
            tensor.bytes.SequenceEqual(copies[key]).Should().BeTrue(key);
            original[key].IsInvalid.Should().BeFalse("the caller's tensor is not disposed");
            original[key].bytes.SequenceEqual(copies[key]).Should().BeTrue("the caller's tensor is not changed");
        }
        _model.parameters().Should().OnlyContain(p => p.requires_grad);
        foreach (var tensor in original.Values)
        {
            tensor.Dispose();
        }
    }

    private static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d => d.Remove("linear_relu_stack.2.bias")),
            "Cannot load the state_dict into NeuralNetwork: missing keys: linear_relu_stack.2.bias. Nothing was changed.").SetName("Missing key");
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d => d["extra"] = zeros(2)),
            "Cannot load the state_dict into NeuralNetwork: unexpected keys: extra. Nothing was changed.").SetName("Unexpected key");
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d => d["linear_relu_stack.4.bias"] = zeros(11)),
            "Cannot load the state_dict into NeuralNetwork: linear_relu_stack.4.bias: expected [10], found [11]. Nothing was changed.").SetName("Wrong shape");
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d => d["linear_relu_stack.4.bias"] = zeros(10, ScalarType.Float64)),
            "Cannot load the state_dict into NeuralNetwork: linear_relu_stack.4.bias: expected float32, found float64 " +
            "(CheckpointLoadOptions.ConvertFloatingPoint converts floating-point types). Nothing was changed.").SetName("Other floating-point type");
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d => d["linear_relu_stack.4.bias"] = zeros(10, ScalarType.Int64)),
            "Cannot load the state_dict into NeuralNetwork: linear_relu_stack.4.bias: expected float32, found int64. Nothing was changed.").SetName("Integer type");
        yield return new TestCaseData((Action<Dictionary<string, Tensor>>)(d =>
            {
                foreach (var key in d.Keys.ToList())
                {
                    d["module." + key] = d[key];
                    d.Remove(key);
                }
            }),
            "Cannot load the state_dict into NeuralNetwork: missing keys: linear_relu_stack.0.weight, *; unexpected keys: module.* " +
            "(every key of the state_dict starts with 'module.': CheckpointLoadOptions.StripPrefix \"module.\" removes it). Nothing was changed.")
            .SetName("Prefixed keys");
    }

    [TestCaseSource(nameof(Failures))]
    public void LoadStateDict_EachKindOfMismatch_IsRefusedWithLoadCheckpointsMessageAndChangesNothing(Action<Dictionary<string, Tensor>> spoil, string message)
    {
        using var scope = NewDisposeScope();
        var state = Checkpoint.ReadStateDict(_path).ToDictionary(kv => kv.Key, kv => kv.Value);
        spoil(state);
        var before = Bytes(_model);

        var act = () => _model.LoadStateDict(state);

        act.Should().Throw<CheckpointMismatchException>().WithMessage(message).Which.FilePath.Should().BeEmpty();
        ShouldBeSame(Bytes(_model), before);
    }

    [Test]
    public void LoadStateDict_StripPrefixMakingTwoKeysEqual_IsRefusedAndChangesNothing()
    {
        using var scope = NewDisposeScope();
        var state = Checkpoint.ReadStateDict(_path).ToDictionary(kv => kv.Key, kv => kv.Value);
        state["module.linear_relu_stack.0.bias"] = zeros(512);
        var before = Bytes(_model);

        var act = () => _model.LoadStateDict(state, new CheckpointLoadOptions { StripPrefix = "module." });

        act.Should().Throw<CheckpointException>().WithMessage(
            "Cannot load the state_dict: removing StripPrefix 'module.' makes 'linear_relu_stack.0.bias' and 'module.linear_relu_stack.0.bias' the same key 'linear_relu_stack.0.bias'. Nothing was changed.");
        ShouldBeSame(Bytes(_model), before);
    }

    [Test]
    public void LoadStateDict_NullOrDisposedTensor_IsAnArgumentExceptionAndChangesNothing()
    {
        using var scope = NewDisposeScope();
        var state = Checkpoint.ReadStateDict(_path).ToDictionary(kv => kv.Key, kv => kv.Value);
        var before = Bytes(_model);
        state["linear_relu_stack.0.bias"] = null!;

        _model.Invoking(m => m.LoadStateDict(state)).Should().Throw<ArgumentException>()
            .WithMessage("The state_dict's value for 'linear_relu_stack.0.bias' is null.*");
        var disposed = zeros(512);
        disposed.Dispose();
        state["linear_relu_stack.0.bias"] = disposed;
        _model.Invoking(m => m.LoadStateDict(state)).Should().Throw<ArgumentException>()
            .WithMessage("The state_dict's value for 'linear_relu_stack.0.bias' is a disposed tensor.*");
        ShouldBeSame(Bytes(_model), before);
    }

    [Test]
    public void LoadStateDict_Float64ValuesWithConvertFloatingPoint_GivesTheFloat32ValuesExactly()
    {
        using var scope = NewDisposeScope();
        var state = Checkpoint.ReadStateDict(_path).ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float64));
        using var saved = Model(51);
        var expected = Bytes(saved);

        _model.LoadStateDict(state, new CheckpointLoadOptions { ConvertFloatingPoint = true });

        // float32 -> float64 -> float32 is exact.
        ShouldBeSame(Bytes(_model), expected);
    }

    [Test]
    public void LoadStateDict_NonStrictWithAMissingKey_ReturnsItAndLoadsTheRest()
    {
        using var scope = NewDisposeScope();
        var state = Checkpoint.ReadStateDict(_path).ToDictionary(kv => kv.Key, kv => kv.Value);
        state.Remove("linear_relu_stack.4.bias");

        var result = _model.LoadStateDict(state, new CheckpointLoadOptions { Strict = false });

        result.ToString().Should().Be("_IncompatibleKeys(missing_keys=['linear_relu_stack.4.bias'], unexpected_keys=[])");
        _model.state_dict()["linear_relu_stack.4.weight"].bytes.SequenceEqual(state["linear_relu_stack.4.weight"].bytes).Should().BeTrue();
    }

    [Test]
    public void ReadStateDictAndLoadStateDict_SucceedingAndFailing_LeaveNoLiveTensors()
    {
        void EveryOperation()
        {
            var state = Checkpoint.ReadStateDict(_path);
            _model.LoadStateDict(state);
            state.Remove("linear_relu_stack.0.weight", out var removed);
            _model.Invoking(m => m.LoadStateDict(state)).Should().Throw<CheckpointMismatchException>();
            removed!.Dispose();
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }
        }
        EveryOperation();
        var live = LiveTensors.Settled();

        EveryOperation();

        LiveTensors.Count.Should().Be(live);
    }

    private NeuralNetwork Model(int seed)
    {
        manual_seed(seed);
        return new NeuralNetwork(NeuralNetworkVariant.Quickstart);
    }

    private static void ShouldBeSame(List<byte[]> actual, List<byte[]> expected)
    {
        actual.Should().HaveSameCount(expected);
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i].AsSpan().SequenceEqual(expected[i]).Should().BeTrue($"tensor {i} holds the same bits");
        }
    }

    private static List<byte[]> Bytes(nn.Module module) => module.state_dict().Values.Select(t => t.bytes.ToArray()).ToList();
}
