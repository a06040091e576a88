using System.Numerics;
using System.Text;
using NeuralNet.Torch.Persistence;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>The restricted unpickler on hand-made pickles (opcode by opcode, as Python's pickler writes them): every
/// kind of value <c>torch.load(weights_only=True)</c> accepts comes out as plain data, and the limits hold.</summary>
public sealed class PickleReaderTests
{
    [Test]
    public void Read_TrainingDictOfEveryWeightsOnlyValue_BuildsThePlainValues()
    {
        // What torch.save writes (protocol 2) for {"epoch": 5, "loss": 0.42, "betas": (0.9, 0.999), "s": {1, 2},
        // "c": 1+2j, "b": b"a\xff", "ba": bytearray(b"xy"), "size": torch.Size([2, 3]), "dev": torch.device("cuda", 0),
        // "dt": torch.float16, "n": None, "ok": True, "big": 2**70, "neg": -300, "counts": Counter({"a": 2}), "nested": [[{}]]}.
        var pickle = new PickleBytes().Proto2().Op('}').Op('(')
            .Str("epoch").Int(5)
            .Str("loss").Float(0.42)
            .Str("betas").Float(0.9).Float(0.999).Raw(0x86)
            .Str("s").Call("__builtin__", "set", a => a.Op(']').Op('(').Int(1).Int(2).Op('e'))
            .Str("c").Call("__builtin__", "complex", a => a.Float(1).Float(2))
            .Str("b").Call("_codecs", "encode", a => a.Str("a\u00ff").Str("latin1"))
            .Str("ba").Call("__builtin__", "bytearray", a => a.Str("xy").Str("latin-1"))
            .Str("size").Global("torch", "Size").Op('(').IntTuple(2, 3).Op('t').Op('R')
            .Str("dev").Call("torch", "device", a => a.Str("cuda").Int(0))
            .Str("dt").Global("torch", "float16")
            .Str("n").Op('N')
            .Str("ok").Raw(0x88)
            .Str("big").Raw(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40)
            .Str("neg").Raw(0x8a, 2, 0xD4, 0xFE)
            .Str("counts").Call("collections", "Counter", a => a.Op('}').Str("a").Int(2).Op('s'))
            .Str("nested").Op(']').Op(']').Op('}').Op('a').Op('a')
            .Op('u').Op('.').ToArray();

        var root = (PyDict)PickleReader.Read(pickle, "t/data.pkl")!;

        var values = root.Items.ToDictionary(kv => (string)kv.Key!, kv => kv.Value);
        values["epoch"].Should().Be(5L);
        values["loss"].Should().Be(0.42);
        ((PyTuple)values["betas"]!).Items.Should().Equal(0.9, 0.999);
        ((PySet)values["s"]!).Items.Should().Equal(1L, 2L);
        values["c"].Should().Be(new Complex(1, 2));
        ((byte[])values["b"]!).Should().Equal((byte)'a', 0xFF);
        ((byte[])values["ba"]!).Should().Equal((byte)'x', (byte)'y');
        ((PyTuple)values["size"]!).Items.Should().Equal(2L, 3L);
        values["dev"].Should().Be(new PyDevice("cuda", 0));
        values["dt"].Should().Be(new PyGlobal("torch", "float16"));
        values["n"].Should().BeNull();
        values["ok"].Should().Be(true);
        values["big"].Should().Be(BigInteger.Pow(2, 70));
        values["neg"].Should().Be(-300L);
        ((PyDict)values["counts"]!).Items.Should().ContainSingle().Which.Should().Be(new KeyValuePair<object?, object?>("a", 2L));
        var nested = (List<object?>)values["nested"]!;
        nested.Should().ContainSingle().Which.Should().BeOfType<List<object?>>().Which.Should().ContainSingle().Which.Should().BeOfType<PyDict>();
    }

    [Test]
    public void Read_Protocol4Opcodes_FrameShortStringsMemoizeStackGlobalAndSets()
    {
        // protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_SET + ADDITEMS, FROZENSET, BINBYTES8.
        var pickle = new PickleBytes().Raw(0x80, 4).Raw(0x95, 60, 0, 0, 0, 0, 0, 0, 0)
            .Op('}').Raw(0x94).Op('(')
            .ShortStr("od").ShortStr("collections").Raw(0x94).ShortStr("OrderedDict").Raw(0x94).Raw(0x93).Raw(0x94).Op(')').Op('R')
            .ShortStr("set").Raw(0x8f).Op('(').Int(3).Int(3).Int(4).Raw(0x90)
            .ShortStr("frozen").Op('(').ShortStr("a").Raw(0x91)
            .ShortStr("bytes").Raw(0x8e, 2, 0, 0, 0, 0, 0, 0, 0, 7, 8)
            .ShortStr("again").Op('h').Raw(1) // BINGET of the memoized module name
            .Op('u').Op('.').ToArray();

        var root = (PyDict)PickleReader.Read(pickle, "p4/data.pkl")!;

        var values = root.Items.ToDictionary(kv => (string)kv.Key!, kv => kv.Value);
        values["od"].Should().BeOfType<PyDict>();
        ((PySet)values["set"]!).Items.Should().Equal(3L, 4L);
        ((PySet)values["frozen"]!).Should().Match<PySet>(s => s.Frozen && s.Items.Count == 1);
        ((byte[])values["bytes"]!).Should().Equal(7, 8);
        values["again"].Should().Be("collections");
    }

    [Test]
    public void Read_TuplesAsDictKeys_AreEqualByValueAsInPython()
    {
        // {(1, "a"): 1, (1, "a"): 2} keeps one key with the later value.
        var pickle = new PickleBytes().Proto2().Op('}').Op('(')
            .Int(1).Str("a").Raw(0x86).Int(1)
            .Int(1).Str("a").Raw(0x86).Int(2)
            .Op('u').Op('.').ToArray();

        var root = (PyDict)PickleReader.Read(pickle, "k/data.pkl")!;

        root.Items.Should().ContainSingle().Which.Value.Should().Be(2L);
    }

    [Test]
    public void Read_ParameterRebuildsAndTensorV3OnAnUntypedStorage_GiveTensorViews()
    {
        // _rebuild_parameter(tensor, True, OrderedDict()), _rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, args, {}),
        // NEWOBJ torch.nn.parameter.Parameter(tensor, False), and _rebuild_tensor_v3 over torch.storage.UntypedStorage
        // (numel in bytes) with dtype torch.float32.
        var pickle = new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("p").Global("torch._utils", "_rebuild_parameter").Op('(')
                .Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1]).Raw(0x88).NewOrderedDict().Op('t').Op('R')
            .Str("typed").Global("torch._tensor", "_rebuild_from_type_v2").Op('(')
                .Global("torch._utils", "_rebuild_tensor_v2").Global("torch", "Tensor")
                .Op('(').Op('(').Str("storage").Global("torch", "FloatStorage").Str("1").Str("cpu").Int(2).Op('t').Op('Q')
                .Int(0).IntTuple(2).IntTuple(1).Raw(0x89).NewOrderedDict().Op('t')
                .Op('}').Op('t').Op('R')
            .Str("newobj").Global("torch.nn.parameter", "Parameter")
                .Tensor("FloatStorage", "0", "cpu", 6, 3, [3], [1]).Raw(0x89).Raw(0x86).Raw(0x81)
            .Str("v3").Global("torch._utils", "_rebuild_tensor_v3").Op('(')
                .Op('(').Str("storage").Global("torch.storage", "UntypedStorage").Str("2").Str("cpu").Int(16).Op('t').Op('Q')
                .Int(1).IntTuple(3).IntTuple(1).Raw(0x89).NewOrderedDict().Global("torch", "float32").Op('t').Op('R')
            .Op('u').Op('.').ToArray();

        var root = (PyDict)PickleReader.Read(pickle, "v/data.pkl")!;

        var tensors = root.Items.ToDictionary(kv => (string)kv.Key!, kv => (PyTensor)kv.Value!);
        tensors["p"].Shape.Should().Equal(2, 3);
        tensors["typed"].Storage.Key.Should().Be("1");
        tensors["newobj"].Should().Match<PyTensor>(t => t.Offset == 3 && t.Storage.Key == "0");
        tensors["v3"].Should().Match<PyTensor>(t => t.DType.Type == ScalarType.Float32 && t.Storage.Untyped && t.Storage.ByteLength == 16 && t.Offset == 1);
    }

    [Test]
    public void Read_TuplesNestedDeeperThanTheLimit_AreRefusedBeforeAnythingHashesThem()
    {
        var pickle = new PickleBytes().Proto2().Op(')');
        for (var i = 0; i < PyValues.MaxDepth + 1; i++)
        {
            pickle.Raw(0x85); // TUPLE1
        }

        var act = () => PickleReader.Read(pickle.Op('.').ToArray(), "deep/data.pkl");

        act.Should().Throw<InvalidDataException>().WithMessage($"deep/data.pkl is not a valid checkpoint pickle: tuples nest more than {PyValues.MaxDepth} levels deep (at byte *)");
    }

    [Test]
    public void Read_ListAsADictKey_IsRefusedAsUnhashable()
    {
        var pickle = new PickleBytes().Proto2().Op('}').Op(']').Int(1).Op('s').Op('.').ToArray();

        var act = () => PickleReader.Read(pickle, "u/data.pkl");

        act.Should().Throw<InvalidDataException>().WithMessage("*a list of 0 is unhashable and cannot be a dict key or set item*");
    }

    [Test]
    public void Read_SparseTensorRebuild_IsNamedAsAnUnsupportedKindOfTensor()
    {
        var pickle = new PickleBytes().Proto2().Global("torch._utils", "_rebuild_sparse_tensor").Op(')').Op('R').Op('.').ToArray();

        var act = () => PickleReader.Read(pickle, "s/data.pkl");

        act.Should().Throw<InvalidDataException>().WithMessage("*torch._utils._rebuild_sparse_tensor rebuilds a kind of tensor this reader does not load (sparse, *");
    }

    [Test]
    public void Read_DtypeCalledAsAFunction_IsRefused()
    {
        var pickle = new PickleBytes().Proto2().Global("torch", "float32").Op(')').Op('R').Op('.').ToArray();

        var act = () => PickleReader.Read(pickle, "d/data.pkl");

        act.Should().Throw<InvalidDataException>().WithMessage("*torch.float32 is a value here, it may not be called (REDUCE)*");
    }

    [Test]
    public void Read_PickleBuildingMoreValuesThanTheLimit_IsRefused()
    {
        // Twenty million one-byte NONE opcodes inside a MARK ... TUPLE would build a tuple of that many items.
        var bytes = new byte[PickleReader.MaxValues + 8];
        bytes.AsSpan().Fill((byte)'N');
        bytes[0] = 0x80;
        bytes[1] = 2;
        bytes[2] = (byte)'(';

        var act = () => PickleReader.Read(bytes, "many/data.pkl");

        act.Should().Throw<InvalidDataException>().WithMessage($"*it builds more than {PickleReader.MaxValues:N0} values*");
    }

    [TestCase("torch._utils", "_rebuild_tensor_v2")]
    [TestCase("collections", "OrderedDict")]
    [TestCase("torch", "BFloat16Storage")]
    [TestCase("torch", "device")]
    [TestCase("__builtin__", "set")]
    [TestCase("builtins", "complex")]
    [TestCase("_codecs", "encode")]
    [TestCase("torch._tensor", "_rebuild_from_type_v2")]
    [TestCase("torch", "quint8")]
    public void AllowList_GlobalsOfPyTorchsWeightsOnlyList_AreAccepted(string module, string name)
    {
        PickleAllowList.RoleOf(module, name).Should().NotBeNull();
    }

    [Test]
    public void AllowList_HoldsPyTorch113sWholeList()
    {
        // torch 1.13's _get_allowed_globals() keys (torch/_weights_only_unpickler.py), every one of which 2.x keeps
        // (except _rebuild_sparse_csr_tensor, kept here as 1.13 has it).
        string[] torch113 =
        [
            "collections.OrderedDict", "torch.nn.parameter.Parameter", "torch.serialization._get_layout", "torch.Size",
            "torch.Tensor", "torch.complex32", "torch.complex64", "torch.complex128", "torch.float16", "torch.float32",
            "torch.float64", "torch.int8", "torch.int16", "torch.int32", "torch.int64", "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_sparse_tensor",
            "torch._utils._rebuild_meta_tensor_no_storage", "torch._utils._rebuild_sparse_csr_tensor",
            "torch.storage.TypedStorage", "torch.storage.UntypedStorage", "torch.FloatStorage", "torch.QUInt4x2Storage",
            "torch.cuda.HalfStorage", "torch.FloatTensor", "torch.cuda.LongTensor", "torch.sparse.FloatTensor",
            "torch.cuda.sparse.BFloat16Tensor",
        ];

        PickleAllowList.Names.Should().Contain(torch113);
        PickleAllowList.Names.Should().NotContain(n => n.StartsWith("os.", StringComparison.Ordinal) || n.StartsWith("builtins.eval", StringComparison.Ordinal));
    }

    [Test]
    public void Read_Utf8AndLatin1Strings_DecodeAsPythonDoes()
    {
        var pickle = new PickleBytes().Proto2().Op(']').Str("grüße").Op('a').Op('U').Raw(2).Raw(Encoding.Latin1.GetBytes("é!")).Op('a').Op('.').ToArray();

        var list = (List<object?>)PickleReader.Read(pickle, "s/data.pkl")!;

        list.Should().Equal("grüße", "é!");
    }
}
