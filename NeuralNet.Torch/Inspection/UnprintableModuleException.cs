using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>A module whose PyTorch text cannot be known: its message names the module's path and type, so the
/// exception raised deep in a model says which layer it was.</summary>
internal sealed class UnprintableModuleException(nn.Module module, string path, string reason, Exception? inner)
    : NotSupportedException(
        $"Cannot print {(path.Length == 0 ? "the module" : $"'{path}'")} ({module.GetType().FullName}) as PyTorch does: {reason}", inner);
