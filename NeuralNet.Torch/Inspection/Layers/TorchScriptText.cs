using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>A TorchScript module loaded with <c>torch.jit.load</c>: PyTorch prints
/// <c>RecursiveScriptModule(original_name=Linear)</c>, children included. TorchSharp does not expose a script
/// module's type name, so it prints as <c>original_name=?</c>; the children are libtorch's. The library's own wrapper
/// (<see cref="Persistence.TorchScript.Load"/>) prints the same: it keeps its children, so they are not disposed here.</summary>
internal static class TorchScriptText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add(typeof(jit.ScriptModule), new LayerText
        {
            Name = "RecursiveScriptModule",
            ExtraRepr = _ => $"original_name={LayerText.Unknown}",
            ChildLines = ChildLines,
        });
        table.Add(typeof(Persistence.TorchScriptModule), new LayerText
        {
            Name = "RecursiveScriptModule",
            ExtraRepr = _ => $"original_name={LayerText.Unknown}",
        });
    }

    /// <summary>Each call of a script module's <c>named_children()</c> makes new wrappers of libtorch's modules:
    /// they are printed and disposed here.</summary>
    private static IReadOnlyList<string> ChildLines(nn.Module module, Func<string, nn.Module, string> repr)
    {
        var lines = new List<string>();
        foreach (var (key, child) in module.named_children())
        {
            using (child)
            {
                lines.Add($"({key}): {ModuleText.AddIndent(repr(key, child), 2)}");
            }
        }
        return lines;
    }
}
