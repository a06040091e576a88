using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>A module's state_dict in PyTorch's order. TorchSharp's <c>state_dict()</c> lists every parameter of the
/// whole model before every buffer; PyTorch's <c>Module._save_to_state_dict</c> walks the modules depth first and
/// gives each module's own parameters, then its own persistent buffers, then its children's entries
/// (<c>features.1.weight, features.1.bias, features.1.running_mean, ..., features.4.weight</c>). Which tensors are
/// in the state_dict at all (persistent buffers, registered children) is TorchSharp's <c>state_dict()</c>'s call.</summary>
internal static class StateDictOrder
{
    /// <summary>One state_dict entry.</summary>
    /// <param name="Key">The dotted key.</param>
    /// <param name="Tensor">The module's own tensor (not a copy; the caller must not dispose it).</param>
    /// <param name="IsParameter">True for a parameter, false for a buffer.</param>
    internal readonly record struct Item(string Key, Tensor Tensor, bool IsParameter);

    /// <summary>The entries in PyTorch's order. A TorchScript module's entries come in libtorch's order (its children
    /// are not walked: TorchSharp hands them out as new wrappers of the same parameters).</summary>
    public static IReadOnlyList<Item> Walk(nn.Module module)
    {
        var stateDict = module.state_dict();
        var items = new List<Item>(stateDict.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        if (module is not jit.ScriptModule)
        {
            Visit(module, "", stateDict, items, placed);
        }
        // Whatever the walk did not reach, in TorchSharp's order (nothing, for modules built from TorchSharp's types).
        var parameters = module.parameters().ToHashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (key, tensor) in stateDict)
        {
            if (placed.Add(key))
            {
                items.Add(new Item(key, tensor, tensor is Parameter || parameters.Contains(tensor)));
            }
        }
        return items;
    }

    private static void Visit(nn.Module module, string prefix, Dictionary<string, Tensor> stateDict, List<Item> items, HashSet<string> placed)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false))
        {
            Add(prefix + name, isParameter: true);
        }
        foreach (var (name, _) in module.named_buffers(recurse: false))
        {
            Add(prefix + name, isParameter: false);
        }
        foreach (var (name, child) in module.named_children())
        {
            Visit(child, $"{prefix}{name}.", stateDict, items, placed);
        }

        void Add(string key, bool isParameter)
        {
            if (stateDict.TryGetValue(key, out var tensor) && placed.Add(key))
            {
                items.Add(new Item(key, tensor, isParameter));
            }
        }
    }
}
