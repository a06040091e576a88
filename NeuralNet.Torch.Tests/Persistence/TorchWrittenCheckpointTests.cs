using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Zoo;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Checkpoints as torch writes them, in every layout the checkpoint issue lists, for both NeuralNetwork
/// variants and the zoo's BatchNorm and text models (<c>checkpoint_layouts.py</c>): each loads strictly into the C#
/// model with torch's exact bits and then predicts torch's classes on torch's input, or is refused saying why.</summary>
[Category(PyTorchOracle.Category)]
public sealed class TorchWrittenCheckpointTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("checkpoint_layouts.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    private static IEnumerable<TestCaseData> PlainLayouts() =>
        from variant in new[] { "documented", "quickstart" }
        from layout in new[] { "default", "p2", "p4", "shared", "strided", "sliced" }
        select new TestCaseData(variant, layout).SetArgDisplayNames(variant, layout);

    [TestCaseSource(nameof(PlainLayouts))]
    public void LoadCheckpoint_TorchWrittenStateDict_LoadsTorchsBitsAndPredictsTorchsClasses(string variant, string layout)
    {
        using var model = Model(variant);

        var result = model.LoadCheckpoint(_torch.File($"{variant}.{layout}.pth"));

        result.ToString().Should().Be("<All keys matched successfully>");
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.state", $"{variant} {layout}");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.classes", $"{variant}.logits", $"{variant} {layout}");
    }

    [TestCaseSource(nameof(Variants))]
    public void Inspect_Protocol4File_ListsTorchsKeysInTorchsOrder(string variant)
    {
        var info = Checkpoint.Inspect(_torch.File($"{variant}.p4.pth"));

        info.Format.Should().Be(CheckpointFormat.PyTorch);
        info.Entry.Should().BeNull();
        OracleAssert.SameSequence(info.Tensors.Select(t => t.Name).ToList(), Keys($"{variant}.keys"), $"{variant} keys");
    }

    private static IEnumerable<TestCaseData> TrainingDicts() =>
        from variant in new[] { "documented", "quickstart" }
        from optimizer in new[] { "sgd", "adam" }
        select new TestCaseData(variant, optimizer).SetArgDisplayNames(variant, optimizer);

    [TestCaseSource(nameof(TrainingDicts))]
    public void LoadCheckpoint_TutorialTrainingDictWithOptimizerState_LoadsItsModelStateDict(string variant, string optimizer)
    {
        var path = _torch.File($"{variant}.{optimizer}.pth");
        using var model = Model(variant);

        model.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        Checkpoint.Inspect(path).Entry.Should().Be("model_state_dict");
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.{optimizer}.state", $"{variant} {optimizer}");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.{optimizer}.classes", null, $"{variant} {optimizer}");
    }

    [Test]
    public void LoadCheckpoint_TrainingDictWithEntryNamed_LoadsThatEntry()
    {
        using var model = Model("quickstart");

        model.LoadCheckpoint(_torch.File("quickstart.adam.pth"), new CheckpointLoadOptions { Entry = "model_state_dict" });

        OracleStateAssert.SameTensors(model.state_dict(), _torch, "quickstart.adam.state", "adam with Entry");
    }

    [Test]
    public void LoadCheckpoint_TrainingDictWithEntryNamingTheOptimizer_ListsTheEntryThatHoldsTensors()
    {
        var path = _torch.File("quickstart.sgd.pth");
        using var model = Model("quickstart");
        var before = Snapshot(model);

        var act = () => model.LoadCheckpoint(path, new CheckpointLoadOptions { Entry = "optimizer_state_dict" });

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': its entry 'optimizer_state_dict' (CheckpointLoadOptions.Entry) holds a dict of 2 " +
            "entries, not a dict of tensors; entries that hold one: 'model_state_dict'.");
        ShouldHold(model, before);
    }

    [TestCaseSource(nameof(Variants))]
    public void LoadCheckpoint_LightningDictWithoutStripPrefix_NamesStripPrefixAndChangesNothing(string variant)
    {
        var path = _torch.File($"{variant}.lightning.pth");
        using var model = Model(variant);
        var before = Snapshot(model);

        var act = () => model.LoadCheckpoint(path);

        var error = act.Should().Throw<CheckpointMismatchException>()
            .WithMessage("*missing keys: linear_relu_stack.0.weight, *unexpected keys: model.linear_relu_stack.0.weight, *" +
                "(every key of the file starts with 'model.': CheckpointLoadOptions.StripPrefix \"model.\" removes it). Nothing was changed.")
            .Which;
        error.SuggestedStripPrefix.Should().Be("model.");
        ShouldHold(model, before);
    }

    [TestCaseSource(nameof(Variants))]
    public void LoadCheckpoint_LightningDictWithStripPrefix_LoadsTorchsBits(string variant)
    {
        var path = _torch.File($"{variant}.lightning.pth");
        using var model = Model(variant);

        model.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "model." }).AllKeysMatched.Should().BeTrue();

        Checkpoint.Inspect(path).Entry.Should().Be("state_dict");
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.state", $"{variant} lightning");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.classes", $"{variant}.logits", $"{variant} lightning");
    }

    [TestCaseSource(nameof(Variants))]
    public void LoadCheckpoint_DataParallelStateDict_NeedsStripPrefixModuleAndThenLoadsTorchsBits(string variant)
    {
        var path = _torch.File($"{variant}.dataparallel.pth");
        using var model = Model(variant);
        var before = Snapshot(model);

        model.Invoking(m => m.LoadCheckpoint(path)).Should().Throw<CheckpointMismatchException>()
            .WithMessage("*unexpected keys: module.linear_relu_stack.0.weight, *CheckpointLoadOptions.StripPrefix \"module.\" removes it*")
            .Which.SuggestedStripPrefix.Should().Be("module.");
        ShouldHold(model, before);

        model.LoadCheckpoint(path, new CheckpointLoadOptions { StripPrefix = "module." }).AllKeysMatched.Should().BeTrue();
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.state", $"{variant} dataparallel");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.classes", $"{variant}.logits", $"{variant} dataparallel");
    }

    private static IEnumerable<TestCaseData> HalfPrecision() =>
        from variant in new[] { "documented", "quickstart" }
        from dtype in new[] { "float16", "bfloat16" }
        select new TestCaseData(variant, dtype).SetArgDisplayNames(variant, dtype);

    [TestCaseSource(nameof(HalfPrecision))]
    public void LoadCheckpoint_HalfPrecisionFile_IsRefusedNamingConvertFloatingPointAndChangesNothing(string variant, string dtype)
    {
        var path = _torch.File($"{variant}.{dtype}.pth");
        using var model = Model(variant);
        var before = Snapshot(model);

        var act = () => model.LoadCheckpoint(path);

        act.Should().Throw<CheckpointMismatchException>()
            .WithMessage($"*linear_relu_stack.0.weight: expected float32, found {dtype}; *(CheckpointLoadOptions.ConvertFloatingPoint converts floating-point types). Nothing was changed.");
        ShouldHold(model, before);
    }

    [TestCaseSource(nameof(HalfPrecision))]
    public void LoadCheckpoint_HalfPrecisionFileWithConvertFloatingPoint_HoldsTorchsWidenedValuesAndPredictsItsClasses(string variant, string dtype)
    {
        var path = _torch.File($"{variant}.{dtype}.pth");
        using var model = Model(variant);

        model.LoadCheckpoint(path, new CheckpointLoadOptions { ConvertFloatingPoint = true });

        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.{dtype}.float32.state", $"{variant} {dtype} widened");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.{dtype}.classes", null, $"{variant} {dtype}");
    }

    [TestCaseSource(nameof(HalfPrecision))]
    public void ReadStateDict_HalfPrecisionFile_GivesTorchsHalfBits(string variant, string dtype)
    {
        var state = Checkpoint.ReadStateDict(_torch.File($"{variant}.{dtype}.pth"));
        try
        {
            OracleStateAssert.SameTensors(state, _torch, $"{variant}.{dtype}.state", $"{variant} {dtype}");
        }
        finally
        {
            foreach (var tensor in state.Values)
            {
                tensor.Dispose();
            }
        }
    }

    [TestCaseSource(nameof(Variants))]
    public void LoadCheckpoint_LegacyPre16File_IsRefusedSayingHowToResaveIt(string variant)
    {
        var path = _torch.File($"{variant}.legacy.pth");
        using var model = Model(variant);
        var before = Snapshot(model);

        model.Invoking(m => m.LoadCheckpoint(path)).Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': it is a bare pickle (PyTorch's legacy format from before 1.6, " +
            "torch.save(..., _use_new_zipfile_serialization=False), or a plain Python pickle), which is not supported: " +
            "load it in Python and re-save it with torch.save(model.state_dict(), path) in PyTorch 1.6 or later.");
        ShouldHold(model, before);
    }

    [TestCaseSource(nameof(Variants))]
    public void LoadCheckpoint_WholePickledModel_IsRefusedNamingItsClassAndHowToSaveAStateDict(string variant)
    {
        var path = _torch.File($"{variant}.whole.pth");
        using var model = Model(variant);
        var before = Snapshot(model);

        model.Invoking(m => m.LoadCheckpoint(path)).Should().Throw<CheckpointException>().WithMessage(
            $"Cannot read checkpoint '{path}': {variant}.whole/data.pkl asks for the Python global 'zoo.NeuralNetwork' *, which is " +
            "refused*Nothing in the file was executed. If it is a whole pickled model (torch.save(model)), it needs that Python " +
            "class: load it in Python and save model.state_dict() instead.");
        ShouldHold(model, before);
    }

    private static IEnumerable<TestCaseData> TorchScriptLayouts() =>
        from variant in new[] { "documented", "quickstart" }
        from layout in new[] { "scripted", "traced" }
        select new TestCaseData(variant, layout).SetArgDisplayNames(variant, layout);

    [TestCaseSource(nameof(TorchScriptLayouts))]
    public void LoadCheckpoint_TorchScriptArchive_CopiesItsWeightsByKeyAndPredictsTorchsClasses(string variant, string layout)
    {
        var path = _torch.File($"{variant}.{layout}.pt");
        using var model = Model(variant);

        model.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        Checkpoint.DetectFormat(path).Should().Be(CheckpointFormat.TorchScript);
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"{variant}.state", $"{variant} {layout}");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"{variant}.input", $"{variant}.classes", $"{variant}.logits", $"{variant} {layout}");
    }

    [TestCaseSource(nameof(TorchScriptLayouts))]
    public void TorchScriptLoad_TorchScriptArchive_RunsInEvalModeAndPredictsTorchsClasses(string variant, string layout)
    {
        using var scripted = TorchScript.Load(_torch.File($"{variant}.{layout}.pt"));

        scripted.training.Should().BeFalse();
        OracleStateAssert.SameTensors(scripted.state_dict(), _torch, $"{variant}.state", $"{variant} {layout}");
        // The same libtorch kernels as the C# model: torch's logits within the same 1e-5.
        OracleStateAssert.PredictsLikeTorch(scripted, _torch, $"{variant}.input", $"{variant}.classes", $"{variant}.logits", $"{variant} {layout}");
    }

    [TestCaseSource(nameof(TorchScriptLayouts))]
    public void Inspect_TorchScriptArchive_ListsTorchsKeysInTorchsOrder(string variant, string layout)
    {
        var info = Checkpoint.Inspect(_torch.File($"{variant}.{layout}.pt"));

        info.Format.Should().Be(CheckpointFormat.TorchScript);
        OracleAssert.SameSequence(info.Tensors.Select(t => t.Name).ToList(), Keys($"{variant}.keys"), $"{variant} {layout} keys");
    }

    [Test]
    public void TorchScriptLoad_ModuleLikeAnyOther_HasTheScriptsChildrenParametersAndModes()
    {
        using var scripted = TorchScript.Load(_torch.File("documented.scripted.pt"));

        scripted.named_children().Select(c => c.name).Should().Equal("flatten", "linear_relu_stack");
        scripted.parameters().Should().HaveCount(6).And.OnlyContain(p => p.requires_grad);
        scripted.train();
        scripted.training.Should().BeTrue();
        scripted.eval();
        scripted.training.Should().BeFalse();
    }

    [Test]
    public void TorchScriptLoad_LoadUseAndDispose_LeavesNoMoreLiveTensorsThanTorchSharpsOwnJitLoad()
    {
        // TorchSharp's ScriptModule leaves some tensor wrappers to its finalizers (per load and per child module it
        // hands out); the wrapper must add none of its own.
        var path = _torch.File("documented.scripted.pt");
        // Measured after a full collection and inside a no-GC region: another test's garbage finalized mid-measurement
        // would lower the count (a negative delta for TorchSharp's own load was seen in CI).
        static long Delta(Action action) => TestSupport.LeakCheck.LiveTensorsAddedBy(action, repetitions: 1);
        var raw = Delta(() =>
        {
            using var script = TorchSharp.torch.jit.load<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>(path);
            foreach (var (_, child) in script.named_children())
            {
                child.Dispose();
            }
        });

        var wrapped = Delta(() =>
        {
            using var scripted = TorchScript.Load(path);
            _ = scripted.named_children().Count();
            _ = scripted.parameters().Count();
        });

        wrapped.Should().BeLessThanOrEqualTo(raw);
    }

    [Test]
    public void TorchScriptLoad_RealArchiveWithMangledCode_IsACheckpointExceptionNamingTheFileAndLibtorchsReason()
    {
        var path = _torch.NewFile("mangled.pt");
        File.Copy(_torch.File("quickstart.scripted.pt"), path);
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var code = zip.Entries.First(e => e.FullName.Contains("/code/__torch__/zoo", StringComparison.Ordinal) && e.FullName.EndsWith(".py", StringComparison.Ordinal));
            var name = code.FullName;
            code.Delete();
            using var stream = zip.CreateEntry(name).Open();
            stream.Write("class NeuralNetwork(Module):\n  def forward(self x) -> Tensor\n"u8);
        }

        var act = () => TorchScript.Load(path);

        act.Should().Throw<CheckpointException>().WithMessage(
            $"Cannot load TorchScript module '{path}': it is a TorchScript archive (torch.jit.save) that libtorch cannot load, truncated or corrupt (libtorch: *).")
            .Which.FilePath.Should().Be(path);
    }

    private static IEnumerable<TestCaseData> ZooCases() =>
        from name in new[] { "batchnorm_cnn", "residual", "text" }
        from extension in new[] { ".pth", ".scripted.pt" }
        select new TestCaseData(name, extension).SetArgDisplayNames(name, extension);

    [TestCaseSource(nameof(ZooCases))]
    public void LoadCheckpoint_ZooModelFromTorch_LoadsParametersAndBuffersBitExactAndComputesTorchsOutput(string name, string extension)
    {
        var path = _torch.File($"zoo.{name}{extension}");
        using var model = ZooModels.Create(name);

        model.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        // BatchNorm's running_mean, running_var and num_batches_tracked (int64, 0-d) are among the keys compared.
        OracleStateAssert.SameTensors(model.state_dict(), _torch, $"zoo.{name}.state", $"{name}{extension}");
        OracleStateAssert.PredictsLikeTorch(model, _torch, $"zoo.{name}.input", null, $"zoo.{name}.logits", $"{name}{extension}");
        OracleAssert.SameSequence(Checkpoint.Inspect(path).Tensors.Select(t => t.Name).ToList(), Keys($"zoo.{name}.keys"), $"{name}{extension} keys");
    }

    private static IEnumerable<TestCaseData> Variants() =>
        new[] { "documented", "quickstart" }.Select(v => new TestCaseData(v).SetArgDisplayNames(v));

    private static NeuralNetwork Model(string variant) =>
        new(variant == "documented" ? NeuralNetworkVariant.Documented : NeuralNetworkVariant.Quickstart);

    private List<string> Keys(string name) => _torch.Json(name).EnumerateArray().Select(e => e.GetString()!).ToList();

    private static Dictionary<string, byte[]> Snapshot(NeuralNetwork model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.bytes.ToArray());

    private static void ShouldHold(NeuralNetwork model, Dictionary<string, byte[]> before)
    {
        foreach (var (key, tensor) in model.state_dict())
        {
            tensor.bytes.SequenceEqual(before[key]).Should().BeTrue($"a refused load leaves {key} as it was");
        }
    }
}
