using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>The exporter's view of a module's chain (<see cref="ModuleChain"/>): every module without children is a
/// leaf (the layer table says later which it can write), a declaring module may hold no tensors of its own, and an
/// undeclared module with children and no tensors of its own is a candidate chain of its children in registration
/// order, which <see cref="SequentialCheck"/> confirms against its forward before anything is written; every refusal
/// is a <see cref="NotSupportedException"/> naming the module.</summary>
internal static class ExportChain
{
    /// <summary>What every refusal of a non-sequential forward adds: where such a model goes instead.</summary>
    public const string Alternatives =
        "a forward that is not a chain of layers (a residual add, a branch, a concatenation) cannot be exported from C#: " + Elsewhere;

    /// <summary>What a refusal of an undeclared module whose forward is not its chain adds: graph-shaped forwards need
    /// a declaration, which only chains have.</summary>
    public const string GraphShaped =
        "a graph-shaped forward (a residual add, a branch, a concatenation) needs a declaration of its graph, and " +
        "ISequentialModule declares only chains: " + Elsewhere;

    private const string Elsewhere =
        "export the model from PyTorch with torch.onnx.export, or serve it as TorchScript (torch.jit.save in PyTorch, torch.jit.load in TorchSharp)";

    private static readonly Func<nn.Module, bool> HasNoTensorsOfItsOwn = module => OwnTensors(module).Count == 0;

    private static readonly Func<nn.Module, bool> IsCandidateChain = module =>
        module is nn.Module<Tensor, Tensor> && OwnTensors(module).Count == 0;

    /// <summary>Whether the walk took <paramref name="module"/> as a candidate chain: it has children and is neither
    /// exactly <c>Sequential</c> nor an <see cref="ISequentialModule"/> (in a tree <see cref="Flatten"/> walked, every
    /// such module is one).</summary>
    public static bool IsUndeclared(nn.Module module) =>
        module.GetType() != typeof(TorchSharp.Modules.Sequential) && module is not ISequentialModule && module.named_children().Any();

    /// <summary>Whether <paramref name="model"/> or any module below it is undeclared (<see cref="IsUndeclared"/>).</summary>
    public static bool HasUndeclared(nn.Module model) => IsUndeclared(model) || model.modules().Any(IsUndeclared);

    /// <summary>The leaf layers <paramref name="model"/> applies, in order.</summary>
    /// <exception cref="NotSupportedException">A module with children holds tensors of its own or does not map a tensor
    /// to a tensor, or an
    /// <see cref="ISequentialModule"/> declaration is malformed; the message names the module's path and type.</exception>
    public static IReadOnlyList<ChainLink> Flatten(nn.Module model)
    {
        var links = new List<ChainLink>();
        if (ModuleChain.TryWalk(model, links, paths: true, isLeaf: null, HasNoTensorsOfItsOwn, IsCandidateChain, out var stop))
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
            _ when OwnTensors(stop.Module) is { Count: > 0 } own =>
                $"Cannot export {module} to ONNX: it holds tensors of its own ({string.Join(", ", own)}) besides its children, " +
                $"so its forward is not a chain of its children; {Alternatives}.",
            _ =>
                $"Cannot export {module} to ONNX: its forward does not take and return one tensor, so it is not a chain of its children; {Alternatives}.",
        });
    }

    private static List<string> OwnTensors(nn.Module module) =>
        module.named_parameters(recurse: false).Select(p => p.name).Concat(module.named_buffers(recurse: false).Select(b => b.name)).ToList();
}
