using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Load semantics on files the tests write: strict and all-or-nothing, non-strict results as PyTorch prints
/// them, element types, gradients after a load, and no native leaks.</summary>
public sealed class CheckpointLoadTests
{
    private TempFolder _folder = null!;
    private NeuralNetwork _model = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new TempFolder();
        manual_seed(1);
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
    public void Load_FileOfAnotherlyInitialisedModel_CopiesEveryTensorAndReportsAllKeysMatched(string extension)
    {
        var path = _folder.File("other" + extension);
        manual_seed(2);
        using (var other = new NeuralNetwork(NeuralNetworkVariant.Quickstart))
        {
            other.SaveCheckpoint(path);
        }
        var expected = SnapshotOfSeed(2);

        var result = _model.LoadCheckpoint(path);

        result.Should().BeEquivalentTo(new { MissingKeys = Array.Empty<string>(), UnexpectedKeys = Array.Empty<string>(), AllKeysMatched = true });
        result.ToString().Should().Be("<All keys matched successfully>");
        ShouldHoldBytes(_model, Values(expected));
    }

    [Test]
    public void Load_StrictFileWithMissingUnexpectedAndMisshapenKeys_ListsThemAllAndChangesNothing()
    {
        // The file's values differ from the model's; only the LAST tensor's shape is off, so a loader that copied as it
        // went would already have overwritten five tensors.
        var entries = SnapshotOfSeed(2);
        entries[5] = entries[5] with { Shape = [11], Data = new byte[44] };
        entries.RemoveAt(3);
        entries.Add(new StateEntry("extra.weight", ScalarType.Float32, [2], new byte[8]));
        var path = Write(entries, "bad.pth");
        var before = Bytes(_model);

        var act = () => _model.LoadCheckpoint(path);

        var error = act.Should().Throw<CheckpointMismatchException>().Which;
        error.Message.Should().Be(
            $"Cannot load checkpoint '{path}' into NeuralNetwork: missing keys: linear_relu_stack.2.bias; " +
            "unexpected keys: extra.weight; linear_relu_stack.4.bias: expected [10], found [11]. Nothing was changed.");
        error.MissingKeys.Should().Equal("linear_relu_stack.2.bias");
        error.UnexpectedKeys.Should().Equal("extra.weight");
        error.Mismatches.Should().Equal("linear_relu_stack.4.bias: expected [10], found [11]");
        error.FilePath.Should().Be(path);
        ShouldHoldBytes(_model, before); // a failed load changes no bit of any parameter
    }

    [Test]
    public void Load_NonStrictFileWithMissingAndUnexpectedKeys_ReturnsPyTorchsIncompatibleKeysAndLoadsTheRest()
    {
        var entries = SnapshotOfSeed(2);
        var fileValues = Values(entries);
        entries.RemoveAt(5);
        entries.Insert(0, new StateEntry("head.weight", ScalarType.Float32, [1], new byte[4]));
        entries.Add(new StateEntry("it's", ScalarType.Float32, [], new byte[4]));
        var path = Write(entries, "partial.safetensors", CheckpointFormat.SafeTensors);
        var before = Bytes(_model);

        var result = _model.LoadCheckpoint(path, new CheckpointLoadOptions { Strict = false });

        result.ToString().Should().Be(
            "_IncompatibleKeys(missing_keys=['linear_relu_stack.4.bias'], unexpected_keys=['head.weight', \"it's\"])");
        result.AllKeysMatched.Should().BeFalse();
        var after = Bytes(_model);
        after["linear_relu_stack.4.bias"].AsSpan().SequenceEqual(before["linear_relu_stack.4.bias"]).Should().BeTrue("a missing key is left as it was");
        after["linear_relu_stack.0.weight"].AsSpan().SequenceEqual(fileValues["linear_relu_stack.0.weight"]).Should().BeTrue();
        after["linear_relu_stack.4.weight"].AsSpan().SequenceEqual(fileValues["linear_relu_stack.4.weight"]).Should().BeTrue();
        before["linear_relu_stack.0.weight"].AsSpan().SequenceEqual(fileValues["linear_relu_stack.0.weight"]).Should().BeFalse("the file's values differ from the model's");
    }

    [Test]
    public void Load_NonStrictWithAShapeMismatch_IsStillRefusedAsInPyTorch()
    {
        var entries = SnapshotOfSeed(2);
        entries[0] = entries[0] with { Shape = [784, 512] };
        var path = Write(entries, "transposed.pth");
        var before = Bytes(_model);

        var act = () => _model.LoadCheckpoint(path, new CheckpointLoadOptions { Strict = false });

        act.Should().Throw<CheckpointMismatchException>()
            .WithMessage("*: linear_relu_stack.0.weight: expected [512, 784], found [784, 512]. Nothing was changed.");
        ShouldHoldBytes(_model, before);
    }

    [TestCase(ScalarType.Float16, "float16")]
    [TestCase(ScalarType.BFloat16, "bfloat16")]
    [TestCase(ScalarType.Float64, "float64")]
    public void Load_OtherFloatingPointType_IsRefusedNamingBothTypes(ScalarType dtype, string name)
    {
        var path = Write(Converted(SnapshotOfSeed(2), dtype), "typed.pth");
        var before = Bytes(_model);

        var act = () => _model.LoadCheckpoint(path);

        act.Should().Throw<CheckpointMismatchException>()
            .WithMessage($"*linear_relu_stack.0.weight: expected float32, found {name}; *(CheckpointLoadOptions.ConvertFloatingPoint converts floating-point types). Nothing was changed.")
            .Which.Mismatches.Should().HaveCount(6);
        ShouldHoldBytes(_model, before);
    }

    [Test]
    public void Load_Float64WithConvertFloatingPoint_GivesTheFloat32ValuesExactly()
    {
        var original = SnapshotOfSeed(2);
        var path = Write(Converted(original, ScalarType.Float64), "double.safetensors", CheckpointFormat.SafeTensors);

        _model.LoadCheckpoint(path, new CheckpointLoadOptions { ConvertFloatingPoint = true });

        // float32 -> float64 -> float32 is exact.
        ShouldHoldBytes(_model, Values(original));
        _model.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float32);
    }

    [Test]
    public void Load_Float16WithConvertFloatingPoint_RoundsToTheNearestHalf()
    {
        var original = SnapshotOfSeed(2);
        var path = Write(Converted(original, ScalarType.Float16), "half.pth");

        _model.LoadCheckpoint(path, new CheckpointLoadOptions { ConvertFloatingPoint = true });

        var expected = BitConverter.ToSingle(original[0].Data, 0);
        var actual = _model.state_dict()["linear_relu_stack.0.weight"].data<float>()[0];
        actual.Should().Be((float)(Half)expected);
        actual.Should().BeApproximately(expected, Math.Abs(expected) * 1e-3f, "float16 keeps 11 significant bits");
    }

    [Test]
    public void Load_IntegerTensorIntoFloatParameter_IsRefusedEvenWithConversion()
    {
        var entries = SnapshotOfSeed(2);
        entries[1] = entries[1] with { DType = ScalarType.Int32 };
        var path = Write(entries, "int.dat", CheckpointFormat.TorchSharp);

        var act = () => _model.LoadCheckpoint(path, new CheckpointLoadOptions { ConvertFloatingPoint = true });

        act.Should().Throw<CheckpointMismatchException>()
            .Which.Mismatches.Should().Equal("linear_relu_stack.0.bias: expected float32, found int32");
    }

    [Test]
    public void Load_ThenOneSgdStep_ParametersStillRequireGradAndChange()
    {
        var parametersBefore = _model.parameters().ToList();
        var path = Write(SnapshotOfSeed(2), "trained.pth");
        using var optimizer = optim.SGD(_model.parameters(), learningRate: 0.1);

        _model.LoadCheckpoint(path);
        var loaded = Bytes(_model);
        _model.parameters().Should().Equal(parametersBefore, ReferenceEquals, "a load copies into the same Parameter objects");
        _model.parameters().Should().OnlyContain(p => p.requires_grad);

        using (var scope = NewDisposeScope())
        {
            optimizer.zero_grad();
            var x = rand(8, 28, 28);
            var y = randint(0, 10, [8], ScalarType.Int64);
            var loss = nn.functional.cross_entropy(_model.forward(x), y);
            loss.backward();
            optimizer.step();
        }

        var trained = Bytes(_model);
        foreach (var (name, bytes) in loaded)
        {
            trained[name].AsSpan().SequenceEqual(bytes).Should().BeFalse($"{name} is trained after the load");
        }
    }

    [Test]
    public void LoadSaveInspect_InEveryFormatAndOnFailure_LeaveNoLiveTensors()
    {
        var paths = new[] { _folder.File("a.pth"), _folder.File("a.safetensors"), _folder.File("a.dat") };
        var bad = SnapshotOfSeed(2);
        bad[5] = bad[5] with { Shape = [11], Data = new byte[44] };
        var badPath = Write(bad, "bad.safetensors", CheckpointFormat.SafeTensors);
        void EveryOperation()
        {
            foreach (var path in paths)
            {
                _model.SaveCheckpoint(path);
                _model.LoadCheckpoint(path);
                _model.LoadCheckpoint(path, new CheckpointLoadOptions { Strict = false, ConvertFloatingPoint = true });
                Checkpoint.Inspect(path);
            }
            _model.Invoking(m => m.LoadCheckpoint(badPath)).Should().Throw<CheckpointMismatchException>();
            _model.Invoking(m => m.LoadCheckpoint(_folder.File("missing.pth"))).Should().Throw<CheckpointException>();
        }
        EveryOperation(); // warm-up: anything made once per process is made now
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = LiveTensors.Settled();

        // A leaked tensor's finalizer would lower the count again: keep the GC out of the measured pass where the
        // runtime allows it (the pass allocates well under 512 MB of managed memory).
        var noGc = GC.TryStartNoGCRegion(512L * 1024 * 1024);
        try
        {
            EveryOperation();
            LiveTensors.Count.Should().Be(live);
        }
        finally
        {
            if (noGc && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            {
                GC.EndNoGCRegion();
            }
        }
    }

    [Test]
    [Category("CUDA")]
    public void Load_IntoAModelOnCuda_CopiesToTheModelsDevice()
    {
        if (!Devices.IsCudaAvailable)
        {
            Assert.Ignore("Needs CUDA (a TorchSharp CUDA backend and an NVIDIA GPU); not available here.");
        }
        var entries = SnapshotOfSeed(2);
        var path = Write(entries, "cuda.pth");
        _model.to(CUDA);

        _model.LoadCheckpoint(path);

        _model.parameters().Should().OnlyContain(p => p.device_type == DeviceType.CUDA && p.requires_grad);
        _model.cpu();
        ShouldHoldBytes(_model, Values(entries));
    }

    private string Write(List<StateEntry> entries, string name, CheckpointFormat format = CheckpointFormat.PyTorch)
    {
        var path = _folder.File(name);
        using var file = File.Create(path);
        switch (format)
        {
            case CheckpointFormat.PyTorch:
                PyTorchCheckpointWriter.Write(file, entries, path);
                break;
            case CheckpointFormat.SafeTensors:
                SafeTensorsFormat.Write(file, entries);
                break;
            default:
                TorchSharpFormat.Write(file, entries);
                break;
        }
        return path;
    }

    private static List<StateEntry> SnapshotOfSeed(int seed)
    {
        manual_seed(seed);
        using var other = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        return StateDictTransfer.Snapshot(other);
    }

    private static List<StateEntry> Converted(List<StateEntry> entries, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        return entries.Select(e =>
        {
            var t = empty(e.Shape, ScalarType.Float32);
            t.bytes = e.Data;
            return e with { DType = dtype, Data = t.to_type(dtype).bytes.ToArray() };
        }).ToList();
    }

    private static Dictionary<string, byte[]> Values(List<StateEntry> entries) => entries.ToDictionary(e => e.Name, e => e.Data);

    /// <summary>Every state_dict tensor of <paramref name="module"/> holds exactly <paramref name="expected"/>'s bytes.</summary>
    private static void ShouldHoldBytes(nn.Module module, Dictionary<string, byte[]> expected)
    {
        var actual = Bytes(module);
        actual.Keys.Should().Equal(expected.Keys);
        foreach (var (name, bytes) in expected)
        {
            actual[name].AsSpan().SequenceEqual(bytes).Should().BeTrue($"{name} holds the expected bits");
        }
    }

    private static Dictionary<string, byte[]> Bytes(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.bytes.ToArray());
}
