using System.Numerics;

namespace NeuralNet.Torch.Persistence;

// The Python values a weights-only pickle is made of, as the restricted unpickler builds them. Python's None is null,
// bool is bool, int is long (BigInteger past 64 bits), float is double, complex is Complex, str is string, bytes and
// bytearray are byte[], list is List<object?>; the types below are the rest.

/// <summary>An allow-listed global (<c>module.name</c>) used as a value (a dtype, a storage class, a rebuild
/// function); nothing is ever looked up or executed by name.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;

    public override string ToString() => FullName;
}

/// <summary>A Python tuple (or <c>torch.Size</c>, a tuple subclass). Equal by value, so it can be a dict key.</summary>
internal sealed class PyTuple : IEquatable<PyTuple>
{
    public PyTuple(object?[] items)
    {
        Items = items;
        Depth = 1 + items.Select(PyValues.Depth).DefaultIfEmpty(0).Max();
    }

    public object?[] Items { get; }

    /// <summary>How deeply tuples and frozensets nest in it (1 for a flat tuple): bounded, so hashing cannot overflow
    /// the stack.</summary>
    public int Depth { get; }

    public int Count => Items.Length;

    public object? this[int index] => Items[index];

    public bool Equals(PyTuple? other) =>
        other is not null && other.Items.Length == Items.Length &&
        Items.Zip(other.Items).All(p => PyValues.KeyComparer.Equals(p.First, p.Second));

    public override bool Equals(object? obj) => Equals(obj as PyTuple);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items)
        {
            hash.Add(item is null ? 0 : PyValues.KeyComparer.GetHashCode(item));
        }
        return hash.ToHashCode();
    }
}

/// <summary>A Python dict, <c>collections.OrderedDict</c> or <c>collections.Counter</c>, in insertion order.</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object?, object?>> _items = [];
    private readonly Dictionary<object, int> _index = new(PyValues.KeyComparer);

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => _items;

    /// <summary>Sets <paramref name="key"/> (a later value replaces an earlier one, keeping its position, as in Python).</summary>
    public void Set(object? key, object? value)
    {
        var slot = key ?? PyValues.NoneKey;
        if (_index.TryGetValue(slot, out var i))
        {
            _items[i] = new(key, value);
        }
        else
        {
            _index[slot] = _items.Count;
            _items.Add(new(key, value));
        }
    }
}

/// <summary>A Python set or frozenset, in insertion order.</summary>
internal sealed class PySet
{
    private readonly List<object?> _items = [];
    private readonly HashSet<object> _seen = new(PyValues.KeyComparer);

    public PySet(bool frozen) => Frozen = frozen;

    public bool Frozen { get; }

    public IReadOnlyList<object?> Items => _items;

    public int Depth => 1 + _items.Select(PyValues.Depth).DefaultIfEmpty(0).Max();

    public void Add(object? item)
    {
        if (_seen.Add(item ?? PyValues.NoneKey))
        {
            _items.Add(item);
        }
    }
}

/// <summary><c>torch.device(type, index)</c>.</summary>
internal sealed record PyDevice(string Type, long? Index)
{
    public override string ToString() => Index is { } i ? $"{Type}:{i}" : Type;
}

/// <summary>A storage named by a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>; its bytes
/// are the zip record <c>data/&lt;key&gt;</c>. <see cref="Numel"/> counts elements of <see cref="DType"/>
/// (bytes for <c>torch.UntypedStorage</c>, whose <see cref="DType"/> is uint8).</summary>
internal sealed record PyStorage(string Key, DTypeInfo DType, long Numel, string Location, bool Untyped)
{
    public long ByteLength => Numel * DType.Size;
}

/// <summary>A tensor view of a storage, from one of torch's <c>_rebuild_tensor*</c> functions. Offset and strides
/// count elements of <see cref="DType"/>, which differs from the storage's only for an untyped storage.</summary>
internal sealed record PyTensor(PyStorage Storage, DTypeInfo DType, long Offset, long[] Shape, long[] Stride);

/// <summary>What the reader knows about Python values in general.</summary>
internal static class PyValues
{
    /// <summary>Tuples and frozensets nest at most this deep (Python's own recursion limit is about 1000).</summary>
    public const int MaxDepth = 512;

    /// <summary>Stands for None as a dict key or set item (a .NET dictionary refuses a null key).</summary>
    public static readonly object NoneKey = new();

    /// <summary>Python's equality for hashable values: by value for tuples and bytes, by identity for nothing else
    /// that can be a key here.</summary>
    public static readonly IEqualityComparer<object> KeyComparer = new KeyEquality();

    /// <summary>The nesting depth of tuples and frozensets in a value (0 for anything else).</summary>
    public static int Depth(object? value) => value switch
    {
        PyTuple t => t.Depth,
        PySet { Frozen: true } s => s.Depth,
        _ => 0,
    };

    /// <summary>True for values Python can hash (a dict key or set item).</summary>
    public static bool IsHashable(object? value) => value switch
    {
        null or string or long or BigInteger or double or bool or Complex or PyGlobal or PyDevice => true,
        byte[] => true, // bytes (a bytearray is unhashable, but both read as byte[]; PyTorch files never key on either)
        PyTuple t => t.Items.All(IsHashable),
        PySet s => s.Frozen,
        _ => false,
    };

    /// <summary>A short description of a value for messages: <c>an int</c>, <c>a dict of 6 tensors</c>, ...</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the str '{(s.Length > 40 ? s[..40] + "..." : s)}'",
        long l => $"the int {l}",
        BigInteger => "an int",
        bool b => b ? "True" : "False",
        double => "a float",
        Complex => "a complex",
        byte[] => "bytes",
        PyTuple t => $"a tuple of {t.Count}",
        List<object?> l => $"a list of {l.Count}",
        PySet s => $"a set of {s.Items.Count}",
        PyDict d when IsTensorDict(d) && d.Items.Count > 0 => d.Items.Count == 1 ? "a dict of 1 tensor" : $"a dict of {d.Items.Count} tensors",
        PyDict d => d.Items.Count == 1 ? "a dict of 1 entry" : $"a dict of {d.Items.Count} entries",
        PyGlobal g => g.FullName,
        PyDevice d => $"torch.device('{d}')",
        PyStorage => "a storage",
        PyTensor => "a tensor",
        _ => value.GetType().Name,
    };

    /// <summary>True when <paramref name="dict"/> is a state_dict: string keys, tensor values (an empty dict is one).</summary>
    public static bool IsTensorDict(PyDict dict) => dict.Items.All(kv => kv.Key is string && kv.Value is PyTensor);

    private sealed class KeyEquality : IEqualityComparer<object>
    {
        public new bool Equals(object? x, object? y) => (x, y) switch
        {
            (null, null) => true,
            (byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b),
            (PySet a, PySet b) => a.Items.Count == b.Items.Count && a.Items.All(i => b.Items.Contains(i, this!)),
            _ => object.Equals(x, y),
        };

        public int GetHashCode(object obj) => obj switch
        {
            byte[] bytes => bytes.Length == 0 ? 0 : HashCode.Combine(bytes.Length, bytes[0], bytes[^1]),
            PySet set => set.Items.Count, // order-independent, as Python's frozenset hash
            _ => obj.GetHashCode(),
        };
    }
}
