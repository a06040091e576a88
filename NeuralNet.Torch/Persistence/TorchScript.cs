using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>Runs PyTorch models saved as TorchScript (<c>torch.jit.script(model).save(path)</c>,
/// <c>torch.jit.trace(model, x).save(path)</c>) with no C# port of the model: libtorch's own loader, through
/// TorchSharp's <c>torch.jit.load</c>.</summary>
/// <remarks>To copy a TorchScript archive's weights into a C# model instead, use
/// <see cref="Checkpoint.LoadCheckpoint"/>: it reads the archive's parameters and buffers by state_dict key.</remarks>
public static class TorchScript
{
    /// <summary>Loads a TorchScript archive as a runnable module, in eval mode.</summary>
    /// <param name="path">The archive (<c>.pt</c> by PyTorch's convention; the name does not matter).</param>
    /// <param name="device">Where its tensors go (as <c>torch.jit.load(path, map_location=device)</c>); the CPU when
    /// null.</param>
    /// <returns>A <c>Module&lt;Tensor, Tensor&gt;</c> whose <c>forward</c> runs the script's; its parameters, buffers
    /// and state_dict have the script's keys (<c>linear_relu_stack.0.weight</c>, ...). The caller disposes it. Its
    /// forward throws <see cref="InvalidOperationException"/> where the script returns something other than one tensor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, or <paramref name="device"/>
    /// is CUDA where CUDA is not available.</exception>
    /// <exception cref="CheckpointException">The file is missing, a directory, not a TorchScript archive (for example
    /// a <c>torch.save</c> state_dict, which <see cref="Checkpoint.LoadCheckpoint"/> reads), truncated or corrupt; the
    /// message names the file and the problem.</exception>
    public static nn.Module<Tensor, Tensor> Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        TorchRuntime.EnsureInitialized();
        var target = device ?? CPU;
        if (target.type == DeviceType.CUDA && !TorchRuntime.IsCudaAvailable)
        {
            throw new ArgumentException($"Cannot load a TorchScript module onto {target}: CUDA is not available.", nameof(device));
        }
        var fullPath = CheckpointFile.ExistingFile(path, "load TorchScript module");
        var lead = $"Cannot load TorchScript module '{fullPath}'";
        var format = CheckpointFile.DetectFormat(fullPath, lead);
        if (format != CheckpointFormat.TorchScript)
        {
            throw new CheckpointException(fullPath,
                $"{lead}: it is a {format} checkpoint (tensors only), not a TorchScript archive (torch.jit.save); load it " +
                "into a model with model.LoadCheckpoint(path).");
        }
        var script = CheckpointFile.Guard(fullPath, lead, () => TorchScriptArchive.Load(fullPath, target));
        var module = new TorchScriptModule(script);
        module.eval();
        return module;
    }
}
