using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NeuralNet.Torch.Inspection;

namespace NeuralNet.Torch.Persistence;

/// <summary>
/// A restricted unpickler for the <c>data.pkl</c> of a <c>torch.save(model.state_dict())</c> archive. It builds plain
/// values (<see cref="PyDict"/>, <see cref="PyTuple"/>, <see cref="PyTensor"/>, ...) and never executes, imports or
/// looks up anything by name.
/// </summary>
/// <remarks>
/// <para>Why a reader of our own rather than TorchSharp.PyBridge or Razorvine.Pickle: the job is small (a state_dict
/// pickle uses about 30 opcodes and five globals), and a general unpickler turns every global into a constructor
/// call, so safety would rest on a wrapper around code that is built to run arbitrary callables. Here the allow-list
/// IS the dispatch table: a global outside it stops the read at its <c>GLOBAL</c> opcode, before any <c>REDUCE</c>.
/// PyBridge additionally copies with a weak shape check, converts dtypes silently and leaves <c>requires_grad</c>
/// false (see the platform notes), and neither library reports errors with the file and offset.</para>
/// <para>Allowed globals, a subset of <c>torch.load(weights_only=True)</c>'s allow-list: <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_tensor</c>, <c>torch._utils._rebuild_parameter</c>,
/// <c>torch._utils._rebuild_parameter_with_state</c> and the legacy storage classes <c>torch.FloatStorage</c>,
/// <c>DoubleStorage</c>, <c>HalfStorage</c>, <c>BFloat16Storage</c>, <c>LongStorage</c>, <c>IntStorage</c>,
/// <c>ShortStorage</c>, <c>CharStorage</c>, <c>ByteStorage</c>, <c>BoolStorage</c>, <c>ComplexFloatStorage</c>,
/// <c>ComplexDoubleStorage</c>. Opcodes: those of protocols 2-4 that plain data needs (no <c>INST</c>, <c>OBJ</c>,
/// <c>NEWOBJ</c>, <c>EXT*</c> or text-protocol opcodes).</para>
/// <para>Every length is checked against the bytes left before anything is allocated, so a crafted file cannot ask for
/// more memory than its own size suggests.</para>
/// </remarks>
internal sealed class PickleReader
{
    /// <summary>The globals this reader understands, by full name.</summary>
    internal static readonly IReadOnlySet<string> AllowedGlobals = BuildAllowedGlobals();

    private const string RebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
    private const string RebuildTensor = "torch._utils._rebuild_tensor";
    private const string RebuildParameter = "torch._utils._rebuild_parameter";
    private const string RebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";
    private const string OrderedDict = "collections.OrderedDict";
    private const int MaxDimensions = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _recordName;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private readonly Dictionary<string, PyStorage> _storages = new(StringComparer.Ordinal);
    private int _position;
    private int _opcodeAt;

    private PickleReader(byte[] data, string recordName)
    {
        _data = data;
        _recordName = recordName;
    }

    /// <summary>Unpickles <paramref name="data"/>.</summary>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="recordName">The record's name in the archive, for messages.</param>
    /// <returns>The top-level value.</returns>
    /// <exception cref="InvalidDataException">The pickle is malformed, truncated, uses an unsupported opcode, or asks for a
    /// global outside the allow-list (the message names it).</exception>
    public static object? Read(byte[] data, string recordName) => new PickleReader(data, recordName).Run();

    private object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw Error("the pickle ends without a STOP opcode (truncated)");
            }
            _opcodeAt = _position;
            var op = _data[_position++];
            switch (op)
            {
                case 0x80: // PROTO
                    var protocol = ReadByte();
                    if (protocol > 5)
                    {
                        throw Error($"pickle protocol {protocol} is not supported (PyTorch writes protocol 2)");
                    }
                    break;
                case 0x95: // FRAME (protocol 4): a length hint only
                    Take(8);
                    break;
                case (byte)'c': // GLOBAL
                    Push(Global(ReadLine(), ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (name is null || module is null)
                    {
                        throw Error("STACK_GLOBAL needs a module and a name string");
                    }
                    Push(Global(module, name));
                    break;
                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Top();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[ReadUInt32()] = Top();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Top();
                    break;
                case (byte)'h': // BINGET
                    Push(MemoGet(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(MemoGet(ReadUInt32()));
                    break;
                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(new PyTuple([]));
                    break;
                case (byte)'t': // TUPLE
                    Push(new PyTuple(PopToMark().ToArray()));
                    break;
                case 0x85: // TUPLE1
                    Push(new PyTuple([Pop()]));
                    break;
                case 0x86: // TUPLE2
                {
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple([a, b]));
                    break;
                }
                case 0x87: // TUPLE3
                {
                    var c3 = Pop();
                    var b = Pop();
                    var a = Pop();
                    Push(new PyTuple([a, b, c3]));
                    break;
                }
                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case (byte)'a': // APPEND
                {
                    var item = Pop();
                    ListAtTop().Add(item);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopToMark();
                    ListAtTop().AddRange(items);
                    break;
                }
                case (byte)'}': // EMPTY_DICT
                    Push(new PyDict());
                    break;
                case (byte)'s': // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    DictAtTop().Set(Key(key), value);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopToMark();
                    if (items.Count % 2 != 0)
                    {
                        throw Error("SETITEMS has an odd number of items");
                    }
                    var dict = DictAtTop();
                    for (var i = 0; i < items.Count; i += 2)
                    {
                        dict.Set(Key(items[i]), items[i + 1]);
                    }
                    break;
                }
                case (byte)'X': // BINUNICODE
                    Push(Utf8(Take(ReadUInt32())));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(Take(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(Take(ReadUInt64())));
                    break;
                case (byte)'U': // SHORT_BINSTRING (Python 2 str; read as Latin-1 like pickle's default 'ASCII' decode allows)
                    Push(Encoding.Latin1.GetString(Take(ReadByte())));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(ReadUInt32()).ToArray());
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case 0x8a: // LONG1
                    Push(Long1(Take(ReadByte())));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case 0x88: // NEWTRUE
                    Push(true);
                    break;
                case 0x89: // NEWFALSE
                    Push(false);
                    break;
                case (byte)'N': // NONE
                    Push(null);
                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case (byte)'R': // REDUCE
                {
                    var args = Pop();
                    var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': // BUILD
                {
                    var state = Pop();
                    Build(Top(), state);
                    break;
                }
                case (byte)'.': // STOP
                    if (_marks.Count != 0 || _stack.Count != 1)
                    {
                        throw Error($"STOP with {_stack.Count} values and {_marks.Count} marks on the stack (expected one value)");
                    }
                    if (_position != _data.Length)
                    {
                        throw Error($"{_data.Length - _position} byte(s) follow the STOP opcode");
                    }
                    return _stack[0];
                default:
                    throw Error($"unsupported pickle opcode 0x{op:x2} ('{(op >= 0x20 && op < 0x7f ? ((char)op).ToString() : "?")}')");
            }
        }
    }

    private PyGlobal Global(string module, string name)
    {
        var global = new PyGlobal(module, name);
        if (!AllowedGlobals.Contains(global.FullName))
        {
            throw new InvalidDataException(
                $"{_recordName} asks for the Python global '{global.FullName}' (byte {_opcodeAt}), which is refused: only " +
                "the globals a state_dict needs are allowed (collections.OrderedDict, torch._utils._rebuild_tensor_v2, " +
                "torch._utils._rebuild_parameter and torch.*Storage). Nothing in the file was executed.");
        }
        return global;
    }

    private object Reduce(object? callable, object? args)
    {
        if (callable is not PyGlobal global)
        {
            throw Error($"REDUCE on {Describe(callable)}, which is not a callable global");
        }
        if (args is not PyTuple a)
        {
            throw Error($"REDUCE of {global} with {Describe(args)} instead of an argument tuple");
        }
        switch (global.FullName)
        {
            case OrderedDict:
                if (a.Count != 0)
                {
                    throw Error("collections.OrderedDict is only supported with no arguments");
                }
                return new PyDict();
            case RebuildTensorV2 when a.Count is 6 or 7:
                CheckHooks(a[5], global);
                _ = Arg<bool>(a, 4, global);
                return Tensor(a, global);
            case RebuildTensor when a.Count == 4:
                return Tensor(a, global);
            case RebuildParameter when a.Count == 3:
            case RebuildParameterWithState when a.Count == 4:
                CheckHooks(a[2], global);
                _ = Arg<bool>(a, 1, global);
                return Arg<PyTensor>(a, 0, global);
            default:
                if (global.Name.EndsWith("Storage", StringComparison.Ordinal))
                {
                    throw Error($"{global} may only appear in a persistent id, not be called");
                }
                throw Error($"{global} called with {a.Count} argument(s), which this reader does not support");
        }
    }

    private PyTensor Tensor(PyTuple a, PyGlobal global)
    {
        var storage = Arg<PyStorage>(a, 0, global);
        var offset = Arg<long>(a, 1, global);
        var shape = Longs(Arg<PyTuple>(a, 2, global), "size", global);
        var stride = Longs(Arg<PyTuple>(a, 3, global), "stride", global);
        if (shape.Length != stride.Length)
        {
            throw Error($"{global}: size {ShapeText.Of(shape)} and stride {ShapeText.Of(stride)} differ in length");
        }
        if (offset < 0 || stride.Any(s => s < 0))
        {
            throw Error($"{global}: negative storage offset or stride");
        }
        return new PyTensor(storage, offset, shape, stride);
    }

    private void CheckHooks(object? hooks, PyGlobal global)
    {
        if (hooks is not PyDict dict || dict.Items.Count != 0)
        {
            throw Error($"{global}: backward hooks are not supported (expected an empty OrderedDict)");
        }
    }

    private long[] Longs(PyTuple tuple, string what, PyGlobal global)
    {
        if (tuple.Count > MaxDimensions)
        {
            throw Error($"{global}: {what} has {tuple.Count} dimensions (at most {MaxDimensions} are supported)");
        }
        var result = new long[tuple.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = tuple[i] is long v ? v : throw Error($"{global}: {what} holds {Describe(tuple[i])}, not an int");
        }
        return result;
    }

    private T Arg<T>(PyTuple args, int index, PyGlobal global)
    {
        if (args[index] is T value)
        {
            return value;
        }
        throw Error($"{global}: argument {index} is {Describe(args[index])}, expected {typeof(T).Name}");
    }

    private PyStorage PersistentLoad(object? pid)
    {
        if (pid is not PyTuple { Count: 5 } t || t[0] is not "storage")
        {
            throw Error($"persistent id {Describe(pid)} is not ('storage', type, key, location, numel)");
        }
        if (t[1] is not PyGlobal type || DTypes.FromStorageClass(type.Name) is not { } dtype || type.Module != "torch")
        {
            throw Error($"persistent id names the storage type {Describe(t[1])}, which is not supported");
        }
        if (t[2] is not string key || key.Length == 0 || t[3] is not string location || t[4] is not long numel || numel < 0)
        {
            throw Error("persistent id has a malformed key, location or size");
        }
        if (key.Contains('/') || key.Contains('\\') || key.Contains(".."))
        {
            throw Error($"storage key '{key}' is not a plain record name");
        }
        if (_storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != dtype || existing.Numel != numel)
            {
                throw Error($"storage '{key}' is declared twice with different types or sizes");
            }
            return existing;
        }
        var storage = new PyStorage(key, dtype, numel, location);
        _storages[key] = storage;
        return storage;
    }

    private void Build(object? instance, object? state)
    {
        // torch.save(OrderedDict) attaches `_metadata` (per-module versions) this way; it does not affect the tensors.
        if (instance is PyDict && state is PyDict)
        {
            return;
        }
        throw Error($"BUILD of {Describe(instance)} with {Describe(state)} is not supported (only OrderedDict metadata)");
    }

    private object Key(object? key) =>
        key is string or long ? key : throw Error($"dict key {Describe(key)} is not a str or int");

    private List<object?> ListAtTop() =>
        Top() is List<object?> list ? list : throw Error("APPEND on something that is not a list");

    private PyDict DictAtTop() =>
        Top() is PyDict dict ? dict : throw Error("SETITEM on something that is not a dict");

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} is read before it is written");

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        var floor = _marks.Count > 0 ? _marks[^1] : 0;
        if (_stack.Count <= floor)
        {
            throw Error("stack underflow");
        }
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Top()
    {
        var floor = _marks.Count > 0 ? _marks[^1] : 0;
        return _stack.Count > floor ? _stack[^1] : throw Error("stack underflow");
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("no MARK before a TUPLE, APPENDS or SETITEMS");
        }
        var mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte() => Take(1)[0];

    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    private ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > (ulong)(_data.Length - _position))
        {
            throw Error($"the pickle is truncated (needs {count} more byte(s), {_data.Length - _position} left)");
        }
        var span = _data.AsSpan(_position, (int)count);
        _position += (int)count;
        return span;
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(_data, (byte)'\n', _position, Math.Min(_data.Length - _position, 1024));
        if (end < 0)
        {
            throw Error("GLOBAL is missing its newline-terminated module or name");
        }
        var line = Utf8(_data.AsSpan(_position, end - _position));
        _position = end + 1;
        return line;
    }

    private string Utf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error("a string is not valid UTF-8");
        }
    }

    private long Long1(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return 0;
        }
        if (bytes.Length > 8)
        {
            throw Error($"an integer of {bytes.Length} bytes does not fit in 64 bits");
        }
        Span<byte> buffer = stackalloc byte[8];
        var fill = (bytes[^1] & 0x80) != 0 ? (byte)0xFF : (byte)0;
        buffer.Fill(fill);
        bytes.CopyTo(buffer);
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    private InvalidDataException Error(string problem) =>
        new($"{_recordName} is not a valid state_dict pickle: {problem} (at byte {_opcodeAt.ToString(CultureInfo.InvariantCulture)})");

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the str '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long l => $"the int {l}",
        bool b => b ? "True" : "False",
        double => "a float",
        byte[] => "bytes",
        PyTuple t => $"a tuple of {t.Count}",
        List<object?> => "a list",
        PyDict => "a dict",
        PyGlobal g => g.FullName,
        PyStorage => "a storage",
        PyTensor => "a tensor",
        _ => value.GetType().Name,
    };

    private static HashSet<string> BuildAllowedGlobals()
    {
        var set = new HashSet<string>(StringComparer.Ordinal)
        {
            OrderedDict, RebuildTensorV2, RebuildTensor, RebuildParameter, RebuildParameterWithState,
        };
        foreach (var type in new[]
                 {
                     TorchSharp.torch.ScalarType.Float32, TorchSharp.torch.ScalarType.Float64, TorchSharp.torch.ScalarType.Float16,
                     TorchSharp.torch.ScalarType.BFloat16, TorchSharp.torch.ScalarType.Int64, TorchSharp.torch.ScalarType.Int32,
                     TorchSharp.torch.ScalarType.Int16, TorchSharp.torch.ScalarType.Int8, TorchSharp.torch.ScalarType.Byte,
                     TorchSharp.torch.ScalarType.Bool, TorchSharp.torch.ScalarType.ComplexFloat32, TorchSharp.torch.ScalarType.ComplexFloat64,
                 })
        {
            set.Add("torch." + DTypes.Of(type).StorageClass);
        }
        return set;
    }
}
