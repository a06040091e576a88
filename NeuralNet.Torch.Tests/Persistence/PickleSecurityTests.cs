using System.Text;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Malicious checkpoints: every global outside PyTorch's weights-only allow-list is refused by name at its
/// GLOBAL opcode, wherever it hides, before anything is built; the tricks that reach a callable some other way (INST,
/// OBJ, NEWOBJ, extension codes, a REDUCE on a non-global) are refused too; the model is never changed and the
/// command a payload would run never runs.</summary>
public sealed class PickleSecurityTests
{
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [TestCase("os", "system")]
    [TestCase("posix", "system")]
    [TestCase("nt", "system")]
    [TestCase("builtins", "eval")]
    [TestCase("builtins", "exec")]
    [TestCase("builtins", "getattr")]
    [TestCase("builtins", "__import__")]
    [TestCase("builtins", "open")]
    [TestCase("__builtin__", "eval")]
    [TestCase("__builtin__", "getattr")]
    [TestCase("subprocess", "Popen")]
    [TestCase("subprocess", "check_output")]
    [TestCase("copyreg", "_reconstructor")]
    [TestCase("copy_reg", "_reconstructor")]
    [TestCase("functools", "partial")]
    [TestCase("pickle", "loads")]
    [TestCase("runpy", "_run_code")]
    [TestCase("sys", "modules")]
    [TestCase("torch", "load")]
    [TestCase("torch.jit", "load")]
    [TestCase("torch._utils", "_rebuild_tensor_v99")]
    [TestCase("numpy.core.multiarray", "_reconstruct")]
    public void Load_PayloadCallingAGlobalOutsideTheAllowList_IsRefusedNamingItAndNothingRuns(string module, string name)
    {
        var marker = _folder.File("pwned");
        // The classic payload: GLOBAL module.name, ('touch <marker>',), REDUCE - here as the value of a state_dict key.
        var pickle = new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Global(module, name).Str($"touch {marker}").Raw(0x85).Op('R')
            .Op('u').Op('.').ToArray();

        ShouldRefuse(pickle, $"*asks for the Python global '{module}.{name}' (byte *), which is refused*Nothing in the file was executed*");
        File.Exists(marker).Should().BeFalse();
    }

    [Test]
    public void Load_GlobalHiddenInsideNestedListsOfATrainingDict_IsRefusedEvenThoughNothingCallsIt()
    {
        // {"model_state_dict": {...}, "extra": [[[{"x": os.system}]]]}: the global is only a value, never REDUCEd.
        var pickle = new PickleBytes().Proto2().Op('}').Op('(')
            .Str("model_state_dict").NewOrderedDict().Op('(').Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1]).Op('u')
            .Str("extra").Op(']').Op(']').Op(']').Op('}').Str("x").Global("os", "system").Op('s').Op('a').Op('a').Op('a')
            .Op('u').Op('.').ToArray();

        ShouldRefuse(pickle, "*asks for the Python global 'os.system'*refused*");
    }

    [Test]
    public void Load_StackGlobalBuiltFromMemoizedStrings_IsRefusedNamingIt()
    {
        // protocol 4: the module and name come from the memo, not from the GLOBAL line.
        var pickle = new PickleBytes().Raw(0x80, 4)
            .ShortStr("posix").Raw(0x94).ShortStr("system").Raw(0x94).Op('0').Op('0')
            .Op('h').Raw(0).Op('h').Raw(1).Raw(0x93).ShortStr("id").Raw(0x85).Op('R').Op('.').ToArray();

        ShouldRefuse(pickle, "*'posix.system'*refused*");
    }

    private static IEnumerable<TestCaseData> ReduceTricks()
    {
        yield return new TestCaseData(
            new PickleBytes().Proto2().Op('i').Raw(Encoding.ASCII.GetBytes("os\nsystem\n")).Op('.').ToArray(),
            "unsupported pickle opcode 0x69 ('i')").SetName("INST opcode (protocol 0 __reduce__ path)");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Op('(').Str("posix").Str("system").Op('o').Op('.').ToArray(),
            "unsupported pickle opcode 0x6f ('o')").SetName("OBJ opcode");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Raw(0x82, 1).Op('.').ToArray(),
            "unsupported pickle opcode 0x82").SetName("EXT1 extension registry code");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Global("torch", "Tensor").Op(')').Raw(0x81).Op('.').ToArray(),
            "NEWOBJ of torch.Tensor is not supported").SetName("NEWOBJ of an allowed class that is not a container");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Global("torch", "Size").Op(')').Op('}').Raw(0x92).Op('.').ToArray(),
            "unsupported pickle opcode 0x92").SetName("NEWOBJ_EX");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Str("os.system").Str("id").Raw(0x85).Op('R').Op('.').ToArray(),
            "REDUCE on the str 'os.system', which is not a callable global").SetName("REDUCE on a string naming a callable");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Global("collections", "OrderedDict").Str("rm -rf /").Raw(0x85).Op('R').Op('.').ToArray(),
            "collections.OrderedDict of the str 'rm -rf /' is not supported").SetName("Allowed constructor with a payload argument");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Global("torch", "Size").Op('}').Str("__setstate__").Str("eval").Op('s').Op('b').Op('.').ToArray(),
            "BUILD of torch.Size with a dict of 1 entry is not supported").SetName("BUILD setting __setstate__ on a class");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Global("torch._tensor", "_rebuild_from_type_v2").Op('(')
                .Global("torch._utils", "_rebuild_tensor_v2").Global("collections", "OrderedDict").Op(')').Op('}').Op('t').Op('R').Op('.').ToArray(),
            "the type collections.OrderedDict is not torch.Tensor or torch.nn.Parameter").SetName("_rebuild_from_type_v2 to another type");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Op('(').Str("storage").Global("os", "system").Str("0").Str("cpu").Int(1).Op('t').Op('Q').Op('.').ToArray(),
            "'os.system'").SetName("Refused global as a persistent id's storage type");
        yield return new TestCaseData(
            new PickleBytes().Proto2().Op('(').Str("module").Str("x").Op('t').Op('Q').Op('.').ToArray(),
            "persistent id a tuple of 2 is not ('storage', type, key, location, numel)").SetName("Persistent id that is not a storage");
    }

    [TestCaseSource(nameof(ReduceTricks))]
    public void Load_PickleReachingACallableAnotherWay_IsRefused(byte[] pickle, string expected)
    {
        ShouldRefuse(pickle, $"*{expected}*");
    }

    private void ShouldRefuse(byte[] pickle, string message)
    {
        var path = _folder.File("evil.pth");
        PickleBytes.WriteZip(path, ("evil/data.pkl", pickle), ("evil/data/0", PickleBytes.Floats(1, 2, 3, 4, 5, 6)), ("evil/version", "3\n"u8.ToArray()));
        using var linear = nn.Linear(3, 2);
        var before = PyTorchFormatTests.Values(linear, "weight");

        linear.Invoking(l => l.LoadCheckpoint(path)).Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': {message}")
            .Which.InnerException.Should().BeOfType<InvalidDataException>();
        FluentActions.Invoking(() => Checkpoint.Inspect(path)).Should().Throw<CheckpointException>().WithMessage(message);
        FluentActions.Invoking(() => Checkpoint.ReadStateDict(path)).Should().Throw<CheckpointException>().WithMessage(message);
        PyTorchFormatTests.Values(linear, "weight").Should().Equal(before);
    }
}
