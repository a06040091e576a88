using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>The exporter's view of a module's chain (<see cref="ModuleChain"/>): every module without children is a
/// leaf (the layer table says later which it can write), and a declaring module may hold no tensors of its own; every
/// refusal is a <see cref="NotSupportedException"/> naming the module.</summary>
internal static class ExportChain
{
    /// <summary>What every refusal of a non-sequential forward adds: where such a model goes instead.</summary>
    public const string Alternatives =
        "a forward that is not a chain of layers (a residual add, a branch, a concatenation) cannot be exported from C#: " +
        "export the model from PyTorch with torch.onnx.export, or serve it as TorchScript (torch.jit.save in PyTorch, torch.jit.load in TorchSharp)";

    private static readonly Func<nn.Module, bool> HasNoTensorsOfItsOwn = module => OwnTensors(module).Count == 0;

    /// <summary>The leaf layers <paramref name="model"/> applies, in order.</summary>
    /// <exception cref="NotSupportedException">A module's forward is not known to be a chain of its children, or an
    /// <see cref="ISequentialModule"/> declaration is malformed; the message names the module's path and type.</exception>
    public static IReadOnlyList<ChainLink> Flatten(nn.Module model)
    {
        var links = new List<ChainLink>();
        if (ModuleChain.TryWalk(model, links, paths: true, isLeaf: null, HasNoTensorsOfItsOwn, out var stop))
        {
            return links;
        }
        var module = ModuleChain.Describe(stop.Path, stop.Module);
        throw new NotSupportedException(stop.Kind switch
        {
            ChainStopKind.NotTensorToTensor =>
                $"Cannot export {module} to ONNX: it declares ISequentialModule, but its forward does not take and return one tensor.",
            ChainStopKind.Misdeclared =>
                $"Cannot export {module} to ONNX: it declares ISequentialModule with the children [{string.Join(", ", stop.Declared)}], " +
                $"but it has [{string.Join(", ", stop.Children)}]; name each child exactly once, in the order forward applies them.",
            ChainStopKind.Refused =>
                $"Cannot export {module} to ONNX: it declares ISequentialModule, but holds tensors of its own " +
                $"({string.Join(", ", OwnTensors(stop.Module))}) that no child uses; only its children's layers are exported.",
            _ =>
                $"Cannot export {module} to ONNX: its forward is not known to apply its children in order. " +
                $"If it does, implement NeuralNet.Torch.ISequentialModule; {Alternatives}.",
        });
    }

    private static List<string> OwnTensors(nn.Module module) =>
        module.named_parameters(recurse: false).Select(p => p.name).Concat(module.named_buffers(recurse: false).Select(b => b.name)).ToList();
}
