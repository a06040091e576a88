using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>One leaf layer of a module's chain: its path in the module tree (<c>linear_relu_stack.0</c>; empty for the
/// model itself) and the module.</summary>
internal readonly record struct ChainLink(string Path, nn.Module Module);

/// <summary>Flattens a module into the chain of leaf layers its forward applies, in order, or says why it cannot:
/// through TorchSharp <c>Sequential</c>s (children in registration order) and <see cref="IOnnxSequential"/> modules
/// (children in their declared order, the declaration checked for form here and against forward by
/// <see cref="SequentialCheck"/>). A module with no children is a leaf; what a leaf may be is the caller's business
/// (the exporter's layer table, the MLP fast path's pattern).</summary>
internal static class ModuleChain
{
    /// <summary>What every refusal of a non-sequential forward adds: where such a model goes instead.</summary>
    public const string Alternatives =
        "a forward that is not a chain of layers (a residual add, a branch, a concatenation) cannot be exported from C#: " +
        "export the model from PyTorch with torch.onnx.export, or serve it as TorchScript (torch.jit.save in PyTorch, torch.jit.load in TorchSharp)";

    /// <summary>The leaf layers <paramref name="model"/> applies, in order.</summary>
    /// <exception cref="NotSupportedException">A module's forward is not known to be a chain of its children, or an
    /// <see cref="IOnnxSequential"/> declaration is malformed; the message names the module's path and type.</exception>
    public static IReadOnlyList<ChainLink> Flatten(nn.Module model)
    {
        var links = new List<ChainLink>();
        Collect(model, "", links);
        return links;
    }

    /// <summary>As <see cref="Flatten"/>, reporting the reason instead of throwing.</summary>
    public static bool TryFlatten(nn.Module model, out IReadOnlyList<ChainLink> links, out string reason)
    {
        try
        {
            links = Flatten(model);
            reason = "";
            return true;
        }
        catch (NotSupportedException e)
        {
            links = [];
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The children of an <see cref="IOnnxSequential"/> module in its declared order, after checking that the
    /// declaration names each child exactly once and that the module has no tensors of its own.</summary>
    /// <exception cref="NotSupportedException">The declaration is malformed (the message names the module).</exception>
    public static List<(string Name, nn.Module Module)> DeclaredChildren(nn.Module module, IOnnxSequential declared, string path)
    {
        if (module is not nn.Module<Tensor, Tensor>)
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential, but its forward does not take and return one tensor.");
        }
        var children = module.named_children().ToList();
        var order = declared.SequentialChildren ?? [];
        var known = children.Select(c => c.name).ToList();
        if (order.Count != known.Count || order.Distinct(StringComparer.Ordinal).Count() != order.Count
            || !order.All(n => known.Contains(n, StringComparer.Ordinal)))
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential with the children " +
                $"[{string.Join(", ", order)}], but it has [{string.Join(", ", known)}]; name each child exactly once, in the order forward applies them.");
        }
        var own = module.named_parameters(recurse: false).Select(p => p.name)
            .Concat(module.named_buffers(recurse: false).Select(b => b.name)).ToList();
        if (own.Count > 0)
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential, but holds tensors of its own " +
                $"({string.Join(", ", own)}) that no child uses; only its children's layers are exported.");
        }
        return order.Select(n => children.First(c => c.name == n)).ToList();
    }

    /// <summary>The words naming a module in messages: <c>'linear_relu_stack.3' (TorchSharp.Modules.Dropout)</c>.</summary>
    public static string Describe(string path, nn.Module module) =>
        (path.Length == 0 ? "the model" : $"'{path}'") + $" ({module.GetType().FullName})";

    /// <summary>A child's path: <c>parent.child</c>, or the child's name at the root.</summary>
    public static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private static void Collect(nn.Module module, string path, List<ChainLink> links)
    {
        // Exactly Sequential: a subclass may override forward.
        if (module.GetType() == typeof(Sequential))
        {
            foreach (var (name, child) in module.named_children())
            {
                Collect(child, Join(path, name), links);
            }
            return;
        }
        if (module is IOnnxSequential declared)
        {
            foreach (var (name, child) in DeclaredChildren(module, declared, path))
            {
                Collect(child, Join(path, name), links);
            }
            return;
        }
        if (module.named_children().Any())
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: its forward is not known to apply its children in order. " +
                $"If it does, implement NeuralNet.Torch.Onnx.IOnnxSequential; {Alternatives}.");
        }
        links.Add(new ChainLink(path, module));
    }
}
