using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// PyTorch's <c>nn.Module.__repr__</c> and the <c>extra_repr</c> of the layers this library knows
/// (<c>torch/nn/modules/module.py</c>, <c>linear.py</c>, <c>flatten.py</c>, <c>activation.py</c>, <c>dropout.py</c>).
/// </summary>
internal static class ModuleText
{
    /// <summary><c>repr(module)</c>: <c>Name(extra)</c> for a leaf, else <c>Name(</c>, the extra lines and
    /// <c>(key): repr(child)</c> lines indented two spaces, and <c>)</c> on its own line.</summary>
    public static string Repr(nn.Module module)
    {
        var extra = ExtraRepr(module);
        var extraLines = string.IsNullOrEmpty(extra) ? [] : extra.Split('\n');
        var childLines = module.named_children()
            .Select(child => $"({child.name}): {AddIndent(Repr(child.module), 2)}")
            .ToList();
        var name = TypeName(module) + "(";
        if (extraLines.Length == 1 && childLines.Count == 0)
        {
            return name + extraLines[0] + ")";
        }
        var lines = extraLines.Concat(childLines).ToList();
        return lines.Count == 0 ? name + ")" : name + "\n  " + string.Join("\n  ", lines) + "\n)";
    }

    /// <summary>PyTorch's <c>_get_name()</c>: the class name (without a generic arity suffix).</summary>
    public static string TypeName(nn.Module module)
    {
        var name = module.GetType().Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick >= 0 ? name[..tick] : name;
    }

    /// <summary>The module's <c>extra_repr()</c>: from <see cref="IExtraRepr"/> when the module implements it,
    /// else from the hyperparameters of the TorchSharp layers PyTorch describes, else empty.</summary>
    public static string ExtraRepr(nn.Module module) => module switch
    {
        IExtraRepr custom => custom.ExtraRepr() ?? "",
        Linear linear => $"in_features={linear.in_features}, out_features={linear.out_features}, bias={PythonFormat.Repr(linear.bias is not null)}",
        Flatten flatten => $"start_dim={flatten.start_dim}, end_dim={flatten.end_dim}",
        ReLU relu => relu.inplace ? "inplace=True" : "",
        ReLU6 relu6 => relu6.inplace ? "inplace=True" : "",
        LeakyReLU leaky => $"negative_slope={PythonFormat.Repr(leaky.negative_slope)}{(leaky.inplace ? ", inplace=True" : "")}",
        Softmax softmax => $"dim={softmax.dim}",
        LogSoftmax logSoftmax => $"dim={logSoftmax.dim}",
        Softmin softmin => $"dim={softmin.dim}",
        Dropout dropout => $"p={PythonFormat.Repr(dropout.p)}, inplace={PythonFormat.Repr(dropout.inplace)}",
        // Sigmoid, Tanh, Identity, Sequential and anything unknown: no extra text (PyTorch prints Name()).
        _ => "",
    };

    /// <summary>PyTorch's <c>_addindent</c>: indents every line but the first.</summary>
    private static string AddIndent(string text, int spaces) =>
        text.Contains('\n', StringComparison.Ordinal)
            ? text.Replace("\n", "\n" + new string(' ', spaces), StringComparison.Ordinal)
            : text;
}
