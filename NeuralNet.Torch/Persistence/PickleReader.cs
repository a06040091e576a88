using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>
/// A restricted unpickler for the <c>data.pkl</c> of a <c>torch.save</c> archive. It builds plain values
/// (<see cref="PyDict"/>, <see cref="PyTuple"/>, <see cref="PyTensor"/>, ...) and never executes, imports or looks up
/// anything by name.
/// </summary>
/// <remarks>
/// <para>It accepts what <c>torch.load(path, weights_only=True)</c> accepts: dicts (and OrderedDict, Counter), lists,
/// tuples, sets, str, bytes, int, float, complex, bool, None, <c>torch.Size</c>, <c>torch.device</c>, dtypes, tensors
/// and their storages, nested to any depth — the globals of <see cref="PickleAllowList"/>. A global outside that list
/// stops the read at its <c>GLOBAL</c> opcode, naming it, before any <c>REDUCE</c>: the allow-list IS the dispatch
/// table, so no callable is ever reached by name.</para>
/// <para>Why a reader of our own rather than TorchSharp.PyBridge or Razorvine.Pickle: a general unpickler turns every
/// global into a constructor call, so safety would rest on a wrapper around code that is built to run arbitrary
/// callables; neither reports errors with the file and offset.</para>
/// <para>Opcodes: those of protocols 2-5 that plain data needs (no <c>INST</c>, <c>OBJ</c>, <c>EXT*</c>, out-of-band
/// buffers or text-protocol opcodes). Every length is checked against the bytes left before anything is allocated, the
/// number of values built is bounded, and tuples nest at most <see cref="PyValues.MaxDepth"/> deep.</para>
/// </remarks>
internal sealed class PickleReader
{
    /// <summary>At most this many values are built from one pickle (a real checkpoint's pickle builds thousands).</summary>
    public const int MaxValues = 20_000_000;

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
    private int _values;

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
                        throw Error($"pickle protocol {protocol} is not supported (PyTorch writes protocol 2 by default)");
                    }
                    break;
                case 0x95: // FRAME (protocol 4): a length hint only
                    Take(8);
                    break;
                case (byte)'c': // GLOBAL
                {
                    var module = ReadLine();
                    Push(Global(module, ReadLine()));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (name is null || module is null)
                    {
                        throw Error("STACK_GLOBAL needs a module and a name string");
                    }
                    Push(Global(module, name));
                    break;
                }
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
                case (byte)'0': // POP
                    if (_marks.Count > 0 && _marks[^1] == _stack.Count)
                    {
                        _marks.RemoveAt(_marks.Count - 1); // POP of a MARK, as Python's unpickler allows
                    }
                    else
                    {
                        Pop();
                    }
                    break;
                case (byte)'1': // POP_MARK
                    PopToMark();
                    break;
                case (byte)'2': // DUP
                    Push(Top());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    Push(Tuple([]));
                    break;
                case (byte)'t': // TUPLE
                    Push(Tuple(PopToMark().ToArray()));
                    break;
                case 0x85: // TUPLE1
                    Push(Tuple([Pop()]));
                    break;
                case 0x86: // TUPLE2
                {
                    var b = Pop();
                    var a = Pop();
                    Push(Tuple([a, b]));
                    break;
                }
                case 0x87: // TUPLE3
                {
                    var c3 = Pop();
                    var b = Pop();
                    var a = Pop();
                    Push(Tuple([a, b, c3]));
                    break;
                }
                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case (byte)'a': // APPEND
                {
                    var item = Pop();
                    ListAtTop("APPEND").Add(item);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopToMark();
                    ListAtTop("APPENDS").AddRange(items);
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
                case 0x8f: // EMPTY_SET
                    Push(new PySet(frozen: false));
                    break;
                case 0x90: // ADDITEMS
                {
                    var items = PopToMark();
                    if (Top() is not PySet { Frozen: false } set)
                    {
                        throw Error($"ADDITEMS on {PyValues.Describe(Top())}, which is not a set");
                    }
                    foreach (var item in items)
                    {
                        set.Add(Key(item));
                    }
                    break;
                }
                case 0x91: // FROZENSET
                    Push(Set(PopToMark(), frozen: true));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(Utf8(Take(ReadUInt32())));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(Utf8(Take(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(Utf8(Take(ReadUInt64())));
                    break;
                case (byte)'U': // SHORT_BINSTRING (Python 2 str; Latin-1, which pickle's default 'ASCII' decoding allows)
                    Push(Encoding.Latin1.GetString(Take(ReadByte())));
                    break;
                case (byte)'T': // BINSTRING
                    Push(Encoding.Latin1.GetString(Take(ReadUInt32())));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(ReadUInt32()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    Push(Take(ReadUInt64()).ToArray());
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
                    Push(Long(Take(ReadByte())));
                    break;
                case 0x8b: // LONG4
                    Push(Long(Take(ReadUInt32())));
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
                    Push(Call(callable, args, "REDUCE"));
                    break;
                }
                case 0x81: // NEWOBJ
                {
                    var args = Pop();
                    var type = Pop();
                    Push(NewObject(type, args));
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
        if (PickleAllowList.RoleOf(module, name) is null)
        {
            var full = module + "." + name;
            var hint = name.Length > 0 && char.IsUpper(name[0]) && !module.StartsWith("torch", StringComparison.Ordinal)
                ? ". If it is a whole pickled model (torch.save(model)), it needs that Python class: load it in Python and " +
                  "save model.state_dict() instead"
                : "";
            throw new InvalidDataException(
                $"{_recordName} asks for the Python global '{full}' (byte {_opcodeAt}), which is refused: only what " +
                "torch.load(weights_only=True) allows is read (tensors, dicts, lists, tuples, sets, str, bytes, numbers, " +
                $"bool, None, torch.Size, torch.device, dtypes). Nothing in the file was executed{hint}");
        }
        return new PyGlobal(module, name);
    }

    private object? Call(object? callable, object? args, string opcode)
    {
        if (callable is not PyGlobal global)
        {
            throw Error($"{opcode} on {PyValues.Describe(callable)}, which is not a callable global");
        }
        if (args is not PyTuple a)
        {
            throw Error($"{opcode} of {global} with {PyValues.Describe(args)} instead of an argument tuple");
        }
        var role = PickleAllowList.RoleOf(global.Module, global.Name)!.Value;
        switch (role)
        {
            case GlobalRole.OrderedDict or GlobalRole.Counter when a.Count == 0:
                return new PyDict();
            case GlobalRole.OrderedDict or GlobalRole.Counter when a.Count == 1:
                return DictFrom(a[0], global);
            case GlobalRole.Set when a.Count == 0:
                return new PySet(frozen: false);
            case GlobalRole.Set when a.Count == 1 && a[0] is List<object?> or PyTuple or PySet:
                return Set(Iterate(a[0]), frozen: false);
            case GlobalRole.Complex when a.Count is 1 or 2:
                return new Complex(Real(a[0], global), a.Count == 2 ? Real(a[1], global) : 0);
            case GlobalRole.CodecsEncode when a.Count is 1 or 2 && a[0] is string text:
                return Encode(text, a.Count == 2 ? a[1] as string : "utf-8", global);
            case GlobalRole.ByteArray when a.Count == 0:
                return Array.Empty<byte>();
            case GlobalRole.ByteArray when a.Count == 1 && a[0] is byte[] bytes:
                return bytes;
            case GlobalRole.ByteArray when a.Count == 2 && a[0] is string text:
                return Encode(text, a[1] as string, global);
            case GlobalRole.Size when a.Count == 0:
                return Tuple([]);
            case GlobalRole.Size when a.Count == 1 && a[0] is PyTuple dims:
                _ = Longs(dims, "torch.Size", global);
                return dims;
            case GlobalRole.Device when a.Count is 1 or 2 && a[0] is string deviceType:
                return Device(deviceType, a.Count == 2 ? a[1] : null, global);
            case GlobalRole.Layout when a.Count == 1 && a[0] is string layout:
                return layout;
            case GlobalRole.Parameter when a.Count is 1 or 2:
                _ = a.Count == 2 ? Arg<bool>(a, 1, global) : true;
                return Arg<PyTensor>(a, 0, global);
            case GlobalRole.RebuildTensor when a.Count == 4:
                return Tensor(a, global, dtype: null);
            case GlobalRole.RebuildTensorV2 when a.Count is 6 or 7:
                CheckHooks(a[5], global);
                _ = Arg<bool>(a, 4, global);
                return Tensor(a, global, dtype: null);
            case GlobalRole.RebuildTensorV3 when a.Count is 7 or 8:
                CheckHooks(a[5], global);
                _ = Arg<bool>(a, 4, global);
                return Tensor(a, global, Arg<PyGlobal>(a, 6, global));
            case GlobalRole.RebuildParameter when a.Count == 3:
            case GlobalRole.RebuildParameterWithState when a.Count == 4:
                CheckHooks(a[2], global);
                _ = Arg<bool>(a, 1, global);
                return Arg<PyTensor>(a, 0, global);
            case GlobalRole.RebuildFromType when a.Count == 4:
                // _rebuild_from_type_v2(func, type, args, state): a plain tensor or Parameter with Python attributes
                // (state), which do not matter for the weights.
                var type = Arg<PyGlobal>(a, 1, global);
                if (type.FullName is not ("torch.Tensor" or "torch.nn.parameter.Parameter"))
                {
                    throw Error($"{global}: the type {type} is not torch.Tensor or torch.nn.Parameter");
                }
                return Call(a[0], a[2], opcode) as PyTensor ?? throw Error($"{global}: its function does not rebuild a tensor");
            case GlobalRole.UnsupportedTensor:
                throw Error($"{global} rebuilds a kind of tensor this reader does not load (sparse, quantized, nested, meta " +
                    "or a tensor subclass); save dense tensors (tensor.to_dense(), dequantize())");
            case GlobalRole.Value:
                throw Error($"{global} is a value here, it may not be called ({opcode})");
            default:
                throw Error($"{global} called with {a.Count} argument(s) of unexpected types, which this reader does not support");
        }
    }

    private object? NewObject(object? type, object? args)
    {
        if (type is PyGlobal global && PickleAllowList.RoleOf(global.Module, global.Name) is
                GlobalRole.Parameter or GlobalRole.OrderedDict or GlobalRole.Counter or GlobalRole.Set or GlobalRole.Size)
        {
            return Call(type, args, "NEWOBJ");
        }
        throw Error($"NEWOBJ of {PyValues.Describe(type)} is not supported (only torch.nn.Parameter and containers)");
    }

    private PyTensor Tensor(PyTuple a, PyGlobal global, PyGlobal? dtype)
    {
        var storage = Arg<PyStorage>(a, 0, global);
        var offset = Arg<long>(a, 1, global);
        var shape = Longs(Arg<PyTuple>(a, 2, global), "size", global);
        var stride = Longs(Arg<PyTuple>(a, 3, global), "stride", global);
        if (shape.Length != stride.Length)
        {
            throw Error($"{global}: size {ShapeText.Of(shape)} and stride {ShapeText.Of(stride)} differ in length");
        }
        if (offset < 0 || stride.Any(s => s < 0) || shape.Any(d => d < 0))
        {
            throw Error($"{global}: negative storage offset, size or stride");
        }
        var elementType = storage.DType;
        if (dtype is not null)
        {
            elementType = DTypes.FromPythonName(dtype.Name) ?? throw Error($"{global}: the element type {dtype} is not supported");
            if (!storage.Untyped && elementType != storage.DType)
            {
                throw Error($"{global}: the element type {dtype} differs from its {storage.DType.Name} storage");
            }
        }
        return new PyTensor(storage, elementType, offset, shape, stride);
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
            result[i] = tuple[i] is long v ? v : throw Error($"{global}: {what} holds {PyValues.Describe(tuple[i])}, not an int");
        }
        return result;
    }

    private T Arg<T>(PyTuple args, int index, PyGlobal global)
    {
        if (args[index] is T value)
        {
            return value;
        }
        throw Error($"{global}: argument {index} is {PyValues.Describe(args[index])}, expected {typeof(T).Name}");
    }

    private double Real(object? value, PyGlobal global) => value switch
    {
        double d => d,
        long l => l,
        _ => throw Error($"{global}: {PyValues.Describe(value)} is not a real number"),
    };

    private byte[] Encode(string text, string? encoding, PyGlobal global)
    {
        switch (encoding?.ToLowerInvariant())
        {
            case "latin1" or "latin-1" or "iso-8859-1":
                if (text.Any(c => c > 0xFF))
                {
                    throw Error($"{global}: the text has characters outside Latin-1");
                }
                return Encoding.Latin1.GetBytes(text);
            case "utf-8" or "utf8":
                return Encoding.UTF8.GetBytes(text);
            case "ascii" when text.All(char.IsAscii):
                return Encoding.ASCII.GetBytes(text);
            default:
                throw Error($"{global}: the encoding {PyValues.Describe(encoding)} is not supported");
        }
    }

    private PyDevice Device(string type, object? index, PyGlobal global)
    {
        var colon = type.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0 && index is null && long.TryParse(type[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return new PyDevice(type[..colon], parsed);
        }
        return index switch
        {
            null => new PyDevice(type, null),
            long i when i >= 0 => new PyDevice(type, i),
            _ => throw Error($"{global}: the device index is {PyValues.Describe(index)}"),
        };
    }

    private PyDict DictFrom(object? source, PyGlobal global)
    {
        var dict = new PyDict();
        switch (source)
        {
            case PyDict other:
                foreach (var (key, value) in other.Items)
                {
                    dict.Set(key, value);
                }
                return dict;
            case List<object?> or PyTuple:
                foreach (var item in Iterate(source))
                {
                    if (item is not PyTuple { Count: 2 } pair)
                    {
                        throw Error($"{global}: an item is {PyValues.Describe(item)}, not a (key, value) pair");
                    }
                    dict.Set(Key(pair[0]), pair[1]);
                }
                return dict;
            default:
                throw Error($"{global} of {PyValues.Describe(source)} is not supported");
        }
    }

    private static IEnumerable<object?> Iterate(object? source) => source switch
    {
        List<object?> list => list,
        PyTuple tuple => tuple.Items,
        PySet set => set.Items,
        _ => [],
    };

    private PySet Set(IEnumerable<object?> items, bool frozen)
    {
        var set = new PySet(frozen);
        foreach (var item in items)
        {
            set.Add(Key(item));
        }
        if (frozen && set.Depth > PyValues.MaxDepth)
        {
            throw Error($"frozensets nest more than {PyValues.MaxDepth} levels deep");
        }
        return set;
    }

    private PyTuple Tuple(object?[] items)
    {
        var tuple = new PyTuple(items);
        if (tuple.Depth > PyValues.MaxDepth)
        {
            throw Error($"tuples nest more than {PyValues.MaxDepth} levels deep");
        }
        return tuple;
    }

    private PyStorage PersistentLoad(object? pid)
    {
        if (pid is not PyTuple { Count: 5 } t || t[0] is not "storage")
        {
            throw Error($"persistent id {PyValues.Describe(pid)} is not ('storage', type, key, location, numel)");
        }
        if (t[1] is not PyGlobal type)
        {
            throw Error($"persistent id names the storage type {PyValues.Describe(t[1])}, which is not a storage class");
        }
        var untyped = type.FullName is "torch.storage.UntypedStorage";
        var dtype = untyped ? DTypes.Of(TorchSharp.torch.ScalarType.Byte)
            : type.Module == "torch" ? DTypes.FromStorageClass(type.Name) : null;
        if (dtype is null)
        {
            throw Error($"persistent id names the storage type {type}, which is not supported");
        }
        if (t[2] is not string key || key.Length == 0 || t[3] is not string location || t[4] is not long numel || numel < 0)
        {
            throw Error("persistent id has a malformed key, location or size");
        }
        if (key.Contains('/') || key.Contains('\\') || key.Contains(".."))
        {
            throw Error($"storage key '{key}' is not a plain record name");
        }
        if (numel > long.MaxValue / 16)
        {
            throw Error($"storage '{key}' declares {numel} elements, which overflows");
        }
        if (_storages.TryGetValue(key, out var existing))
        {
            if (existing.DType != dtype || existing.Numel != numel)
            {
                throw Error($"storage '{key}' is declared twice with different types or sizes");
            }
            return existing;
        }
        var storage = new PyStorage(key, dtype, numel, location, untyped);
        _storages[key] = storage;
        return storage;
    }

    private void Build(object? instance, object? state)
    {
        // torch.save(OrderedDict) attaches `_metadata` (per-module versions) this way; it does not affect the tensors.
        // A Parameter's or tensor's Python attributes (BUILD after _rebuild_parameter_with_state) do not either.
        if (instance is PyDict && state is PyDict or null)
        {
            return;
        }
        throw Error($"BUILD of {PyValues.Describe(instance)} with {PyValues.Describe(state)} is not supported " +
            "(PyTorch's weights-only loader builds only OrderedDict attributes)");
    }

    private object? Key(object? key) =>
        PyValues.IsHashable(key) ? key : throw Error($"{PyValues.Describe(key)} is unhashable and cannot be a dict key or set item");

    private List<object?> ListAtTop(string opcode) =>
        Top() is List<object?> list ? list : throw Error($"{opcode} on {PyValues.Describe(Top())}, which is not a list");

    private PyDict DictAtTop() =>
        Top() is PyDict dict ? dict : throw Error($"SETITEM on {PyValues.Describe(Top())}, which is not a dict");

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} is read before it is written");

    private void Push(object? value)
    {
        if (++_values > MaxValues)
        {
            throw Error($"it builds more than {MaxValues:N0} values, which this reader does not load");
        }
        _stack.Add(value);
    }

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
            throw Error("no MARK before a TUPLE, APPENDS, SETITEMS or ADDITEMS");
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

    // Python's LONG1/LONG4: little-endian two's complement of any length; a long where it fits.
    private object Long(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
        {
            return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        }
        if (bytes.Length == 0)
        {
            return 0L;
        }
        Span<byte> buffer = stackalloc byte[8];
        buffer.Fill((bytes[^1] & 0x80) != 0 ? (byte)0xFF : (byte)0);
        bytes.CopyTo(buffer);
        return BinaryPrimitives.ReadInt64LittleEndian(buffer);
    }

    private InvalidDataException Error(string problem) =>
        new($"{_recordName} is not a valid checkpoint pickle: {problem} (at byte {_opcodeAt.ToString(CultureInfo.InvariantCulture)})");
}
