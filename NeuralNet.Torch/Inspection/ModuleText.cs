using NeuralNet.Torch.Inspection.Layers;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// PyTorch's <c>nn.Module.__repr__</c> (<c>torch/nn/modules/module.py</c>); what each layer prints inside its
/// parentheses comes from <see cref="LayerTextTable"/>.
/// </summary>
internal static class ModuleText
{
    /// <summary><c>repr(module)</c>: <c>Name(extra)</c> for a leaf, else <c>Name(</c>, the extra lines and
    /// <c>(key): repr(child)</c> lines indented two spaces, and <c>)</c> on its own line.</summary>
    /// <exception cref="NotSupportedException">A TorchSharp module whose settings this library cannot read; the
    /// message names its path and type.</exception>
    public static string Repr(nn.Module module) => Repr(module, "");

    /// <summary>PyTorch's <c>_get_name()</c>: the class name (without a generic arity suffix).</summary>
    public static string TypeName(nn.Module module)
    {
        var name = module.GetType().Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }

    /// <summary>PyTorch's <c>_addindent</c>: indents every line but the first.</summary>
    public static string AddIndent(string text, int spaces) =>
        text.Contains('\n', StringComparison.Ordinal)
            ? text.Replace("\n", "\n" + new string(' ', spaces), StringComparison.Ordinal)
            : text;

    private static string Repr(nn.Module module, string path)
    {
        var layer = Find(module, path);
        string extra;
        IReadOnlyList<string> childLines;
        try
        {
            extra = module is IExtraRepr custom ? custom.ExtraRepr() ?? "" : layer.ExtraRepr(module);
            string ChildRepr(string key, nn.Module child) => Repr(child, path.Length == 0 ? key : $"{path}.{key}");
            childLines = layer.ChildLines?.Invoke(module, ChildRepr)
                ?? module.named_children().Select(c => $"({c.name}): {AddIndent(ChildRepr(c.name, c.module), 2)}").ToList();
        }
        catch (NotSupportedException e) when (e is not UnprintableModuleException)
        {
            throw new UnprintableModuleException(module, path, e.Message, e);
        }

        var extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        var name = (layer.Name ?? TypeName(module)) + "(";
        if (extraLines.Length == 1 && childLines.Count == 0)
        {
            return name + extraLines[0] + ")";
        }
        var lines = extraLines.Concat(childLines).ToList();
        return lines.Count == 0 ? name + ")" : name + "\n  " + string.Join("\n  ", lines) + "\n)";
    }

    /// <summary>The module's entry; a module of the user's own type without one has no settings (its
    /// <see cref="IExtraRepr"/> text, if any, and its children), but a TorchSharp type without one is refused
    /// rather than printed as a possibly wrong <c>Name()</c>.</summary>
    private static LayerText Find(nn.Module module, string path)
    {
        var type = module.GetType();
        if (LayerTextTable.Default.Find(type) is { } text)
        {
            return text;
        }
        if (LayerTextTable.IsTorchSharpType(type))
        {
            throw new UnprintableModuleException(module, path, "this library does not know which settings PyTorch prints for it.", null);
        }
        return LayerText.NoSettings;
    }
}
