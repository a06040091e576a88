using System.Globalization;

namespace NeuralNet.Torch.Persistence;

/// <summary>Finds the state_dict in an unpickled <c>torch.save</c> object: the object itself when it is a dict of
/// tensors, the entry <see cref="CheckpointLoadOptions.Entry"/> names, or the one entry that is a dict of tensors (the
/// <c>model_state_dict</c> of PyTorch's tutorial layout, Lightning's <c>state_dict</c>).</summary>
internal static class StateDictSelection
{
    /// <summary>The state_dict and the top-level key it came from (null when the object is the state_dict).</summary>
    /// <exception cref="InvalidDataException">There is no such dict, or more than one and no <paramref name="entry"/>;
    /// the message lists the top-level keys, says which hold dicts of tensors, and names the option.</exception>
    public static (PyDict StateDict, string? Entry) Select(object? root, string? entry, string recordName)
    {
        if (root is not PyDict top)
        {
            throw new InvalidDataException(
                $"{recordName} holds {PyValues.Describe(root)}; expected a state_dict (a dict of tensors, " +
                "torch.save(model.state_dict(), path)) or a dict with one among its entries");
        }
        var candidates = top.Items.Where(kv => kv.Key is string && kv.Value is PyDict d && d.Items.Count > 0 && PyValues.IsTensorDict(d))
            .Select(kv => (string)kv.Key!).ToList();
        if (entry is not null)
        {
            var found = top.Items.FirstOrDefault(kv => kv.Key is string key && key == entry);
            if (found.Key is null)
            {
                throw new InvalidDataException(
                    $"it has no top-level entry '{entry}' (CheckpointLoadOptions.Entry); its top-level keys are {Listing(top)}");
            }
            if (found.Value is not PyDict chosen || !PyValues.IsTensorDict(chosen))
            {
                throw new InvalidDataException(
                    $"its entry '{entry}' (CheckpointLoadOptions.Entry) holds {PyValues.Describe(found.Value)}, not a dict of " +
                    $"tensors; {Holders(candidates)}");
            }
            return (chosen, entry);
        }
        if (PyValues.IsTensorDict(top))
        {
            return (top, null);
        }
        if (candidates.Count == 1)
        {
            return ((PyDict)top.Items.First(kv => kv.Key is string k && k == candidates[0]).Value!, candidates[0]);
        }
        var tensors = top.Items.Count(kv => kv.Value is PyTensor);
        if (tensors > 0 && candidates.Count == 0)
        {
            var others = top.Items.Where(kv => kv.Value is not PyTensor || kv.Key is not string).ToList();
            throw new InvalidDataException(
                $"its top level mixes {Count(tensors, "tensor", "tensors")} with {Count(others.Count, "other value", "other values")} ({Listing(others)}); a " +
                "state_dict holds only tensors under str keys");
        }
        throw new InvalidDataException(
            $"its top level is not a state_dict but a dict of {Count(top.Items.Count, "entry", "entries")}, {Listing(top)}, and " +
            (candidates.Count == 0
                ? "none of them holds a dict of tensors to load"
                : $"{candidates.Count} of them hold dicts of tensors: choose one with CheckpointLoadOptions.Entry"));
    }

    private static string Count(int n, string one, string many) => $"{n} {(n == 1 ? one : many)}";

    private static string Holders(List<string> candidates) => candidates.Count == 0
        ? "no top-level entry holds one"
        : "entries that hold one: " + string.Join(", ", candidates.Select(c => $"'{c}'"));

    private static string Listing(PyDict dict) => Listing(dict.Items);

    private static string Listing(IEnumerable<KeyValuePair<object?, object?>> items) =>
        string.Join(", ", items.Select(kv => $"{KeyText(kv.Key)} ({PyValues.Describe(kv.Value)})"));

    private static string KeyText(object? key) => key switch
    {
        string s => $"'{s}'",
        long l => l.ToString(CultureInfo.InvariantCulture),
        _ => PyValues.Describe(key),
    };
}
