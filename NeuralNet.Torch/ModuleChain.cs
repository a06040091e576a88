using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch;

/// <summary>One leaf layer of a module's chain: its path in the module tree (<c>linear_relu_stack.0</c>; empty for the
/// model itself, and in a walk without paths) and the module.</summary>
internal readonly record struct ChainLink(string Path, nn.Module Module);

/// <summary>Why a walk of a module's chain stopped.</summary>
internal enum ChainStopKind
{
    /// <summary>A module with children that is neither exactly <c>Sequential</c> nor an <see cref="ISequentialModule"/>,
    /// and that the caller does not take as a candidate chain: nothing says its forward applies them in order.</summary>
    Undeclared,

    /// <summary>A module without children that the caller does not take as a leaf.</summary>
    NotALeaf,

    /// <summary>An <see cref="ISequentialModule"/> whose forward does not take and return one tensor.</summary>
    NotTensorToTensor,

    /// <summary>An <see cref="ISequentialModule"/> that does not name each of its children exactly once.</summary>
    Misdeclared,

    /// <summary>An <see cref="ISequentialModule"/> the caller refused.</summary>
    Refused,
}

/// <summary>Where and why a walk stopped: the module, its path (empty in a walk without paths), and for a
/// <see cref="ChainStopKind.Misdeclared"/> module the names it declares and the children it has.</summary>
internal readonly record struct ChainStop(ChainStopKind Kind, string Path, nn.Module Module, IReadOnlyList<string> Declared, IReadOnlyList<string> Children);

/// <summary>The one walk of a module tree into the chain of leaf layers its forward applies, in order, for the ONNX
/// exporter and the MLP fast path: through TorchSharp <c>Sequential</c>s (children in registration order) and
/// <see cref="ISequentialModule"/>s (children in their declared order, the declaration checked for form here; the
/// exporter and <c>Freeze</c> also check it against forward), and, where the caller accepts them, undeclared modules
/// (children in registration order, a candidate chain the caller must confirm against forward). What a leaf may be is
/// the caller's business.</summary>
internal static class ModuleChain
{
    /// <summary>Appends the leaves of <paramref name="model"/>'s chain to <paramref name="links"/>, or stops at the
    /// first module it cannot walk.</summary>
    /// <param name="model">The model.</param>
    /// <param name="links">Receives the leaves.</param>
    /// <param name="paths">Whether to track each module's path (its <c>named_modules()</c> name); off for the walk of
    /// every live prediction, where only a failure needs the words.</param>
    /// <param name="isLeaf">The modules the caller takes as leaves, asked before anything else; any other module
    /// without children stops the walk (<see cref="ChainStopKind.NotALeaf"/>). Null: every module without children is
    /// a leaf.</param>
    /// <param name="acceptDeclared">Asked of each well-formed <see cref="ISequentialModule"/> before its children;
    /// false stops the walk (<see cref="ChainStopKind.Refused"/>). Null accepts them all.</param>
    /// <param name="acceptUndeclared">Asked of each module with children that is neither <c>Sequential</c> nor an
    /// <see cref="ISequentialModule"/>: true walks its children in registration order as a candidate chain, which only
    /// a caller that then runs its forward against that chain may do. Null or false stops the walk
    /// (<see cref="ChainStopKind.Undeclared"/>).</param>
    /// <param name="stop">Where and why the walk stopped, when it did.</param>
    /// <returns>True when the whole tree was walked.</returns>
    public static bool TryWalk(
        nn.Module model, List<ChainLink> links, bool paths, Func<nn.Module, bool>? isLeaf, Func<nn.Module, bool>? acceptDeclared,
        Func<nn.Module, bool>? acceptUndeclared, out ChainStop stop)
    {
        stop = default;
        return Walk(model, paths ? "" : null, links, isLeaf, acceptDeclared, acceptUndeclared, ref stop);
    }

    /// <summary>The children of an <see cref="ISequentialModule"/> in its declared order, or null when the declaration
    /// does not name each child exactly once.</summary>
    public static List<(string Name, nn.Module Module)>? DeclaredChildren(nn.Module module, ISequentialModule declared) =>
        InDeclaredOrder(module.named_children().ToList(), declared.SequentialChildren ?? []);

    /// <summary>The words naming a module in messages: <c>'linear_relu_stack.3' (TorchSharp.Modules.Dropout)</c>, or
    /// <c>the model (...)</c> at the root.</summary>
    public static string Describe(string path, nn.Module module) =>
        (path.Length == 0 ? "the model" : $"'{path}'") + $" ({module.GetType().FullName})";

    /// <summary>A child's path: <c>parent.child</c>, or the child's name at the root.</summary>
    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static bool Walk(
        nn.Module module, string? path, List<ChainLink> links, Func<nn.Module, bool>? isLeaf, Func<nn.Module, bool>? acceptDeclared,
        Func<nn.Module, bool>? acceptUndeclared, ref ChainStop stop)
    {
        if (isLeaf?.Invoke(module) == true)
        {
            links.Add(new ChainLink(path ?? "", module));
            return true;
        }
        // Exactly Sequential: a subclass may override forward.
        if (module.GetType() == typeof(Sequential))
        {
            if (path is null)
            {
                // By index, without the children's names: this walk runs at every live prediction.
                var sequential = (Sequential)module;
                for (var i = 0; i < sequential.Count; i++)
                {
                    if (!Walk((nn.Module)sequential[i], null, links, isLeaf, acceptDeclared, acceptUndeclared, ref stop))
                    {
                        return false;
                    }
                }
                return true;
            }
            return WalkChildren(module.named_children().ToList(), path, links, isLeaf, acceptDeclared, acceptUndeclared, ref stop);
        }
        if (module is ISequentialModule declared)
        {
            if (module is not nn.Module<Tensor, Tensor>)
            {
                stop = new ChainStop(ChainStopKind.NotTensorToTensor, path ?? "", module, [], []);
                return false;
            }
            var children = module.named_children().ToList();
            var names = declared.SequentialChildren ?? [];
            if (InDeclaredOrder(children, names) is not { } ordered)
            {
                stop = new ChainStop(ChainStopKind.Misdeclared, path ?? "", module, names, children.Select(c => c.name).ToList());
                return false;
            }
            if (acceptDeclared?.Invoke(module) == false)
            {
                stop = new ChainStop(ChainStopKind.Refused, path ?? "", module, [], []);
                return false;
            }
            return WalkChildren(ordered, path, links, isLeaf, acceptDeclared, acceptUndeclared, ref stop);
        }
        var hasChildren = module.named_children().Any();
        if (isLeaf is null && !hasChildren)
        {
            links.Add(new ChainLink(path ?? "", module));
            return true;
        }
        if (hasChildren && acceptUndeclared?.Invoke(module) == true)
        {
            return WalkChildren(module.named_children().ToList(), path, links, isLeaf, acceptDeclared, acceptUndeclared, ref stop);
        }
        stop = new ChainStop(hasChildren ? ChainStopKind.Undeclared : ChainStopKind.NotALeaf, path ?? "", module, [], []);
        return false;
    }

    // Walks each child in the given order, below path (null: a walk without paths). A list, so that the declared
    // modules' walk at every live prediction enumerates without boxing.
    private static bool WalkChildren(
        List<(string Name, nn.Module Module)> children, string? path, List<ChainLink> links, Func<nn.Module, bool>? isLeaf,
        Func<nn.Module, bool>? acceptDeclared, Func<nn.Module, bool>? acceptUndeclared, ref ChainStop stop)
    {
        foreach (var (name, child) in children)
        {
            if (!Walk(child, path is null ? null : Join(path, name), links, isLeaf, acceptDeclared, acceptUndeclared, ref stop))
            {
                return false;
            }
        }
        return true;
    }

    // The children in the order of names, or null unless the names are the children's, each exactly once.
    private static List<(string Name, nn.Module Module)>? InDeclaredOrder(List<(string name, nn.Module module)> children, IReadOnlyList<string> names)
    {
        if (names.Count != children.Count)
        {
            return null;
        }
        var ordered = new List<(string, nn.Module)>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            var found = -1;
            for (var c = 0; c < children.Count && found < 0; c++)
            {
                found = string.Equals(children[c].name, names[i], StringComparison.Ordinal) ? c : -1;
            }
            for (var j = 0; j < i && found >= 0; j++)
            {
                found = string.Equals(names[j], names[i], StringComparison.Ordinal) ? -1 : found;
            }
            if (found < 0)
            {
                return null;
            }
            ordered.Add((names[i], children[found].module));
        }
        return ordered;
    }
}
