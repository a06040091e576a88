namespace NeuralNet.Torch.Persistence;

// The few Python values a state_dict pickle is made of, as the restricted unpickler builds them. Python's None is null,
// bool is bool, int is long, float is double, str is string, bytes is byte[], list is List<object?>.

/// <summary>An allow-listed global (<c>module.name</c>); nothing is ever looked up or executed by name.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;

    public override string ToString() => FullName;
}

/// <summary>A Python tuple.</summary>
internal sealed record PyTuple(object?[] Items)
{
    public int Count => Items.Length;

    public object? this[int index] => Items[index];
}

/// <summary>A Python dict or collections.OrderedDict, in insertion order; keys are str or int.</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object, object?>> _items = [];
    private readonly Dictionary<object, int> _index = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    /// <summary>Sets <paramref name="key"/> (a later value replaces an earlier one, keeping its position, as in Python).</summary>
    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            _items[i] = new(key, value);
        }
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }
}

/// <summary>A storage named by a persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>; its bytes
/// are the zip record <c>data/&lt;key&gt;</c>.</summary>
internal sealed record PyStorage(string Key, DTypeInfo DType, long Numel, string Location);

/// <summary>A tensor view of a storage, from <c>torch._utils._rebuild_tensor_v2</c>.</summary>
internal sealed record PyTensor(PyStorage Storage, long Offset, long[] Shape, long[] Stride);
