using System.Runtime.InteropServices;
using NeuralNet.Torch.Native;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>Reads TorchScript archives (<c>torch.jit.save</c>, <c>torch.jit.script(m).save</c>, traced modules) with
/// libtorch's own loader, through TorchSharp's <c>torch.jit.load</c>.</summary>
internal static class TorchScriptArchive
{
    /// <summary>Loads the archive as a runnable module on <paramref name="device"/>.</summary>
    /// <exception cref="InvalidDataException">libtorch cannot load it; the message carries libtorch's first line.</exception>
    public static jit.ScriptModule<Tensor, Tensor> Load(string fullPath, Device device)
    {
        TorchRuntime.EnsureInitialized();
        try
        {
            return jit.load<Tensor, Tensor>(fullPath, device);
        }
        catch (ExternalException e)
        {
            var first = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            throw new InvalidDataException(
                $"it is a TorchScript archive (torch.jit.save) that libtorch cannot load, truncated or corrupt (libtorch: {first.TrimEnd('.')})", e);
        }
    }

    /// <summary>The archive's parameters and buffers in PyTorch's state_dict order (each module's parameters, then
    /// its buffers, modules in pre-order), copied to managed memory.</summary>
    /// <exception cref="InvalidDataException">libtorch cannot load it.</exception>
    public static List<StateEntry> ReadEntries(string fullPath)
    {
        using var script = Load(fullPath, CPU);
        var entries = StateDictTransfer.Snapshot(script);
        var order = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        foreach (var (name, module) in script.named_modules())
        {
            order.TryAdd(name, order.Count);
            module.Dispose();
        }
        // OrderBy is stable: within one module, parameters (listed first by state_dict()) stay before buffers.
        return entries.OrderBy(e => order.GetValueOrDefault(ModuleOf(e.Name), int.MaxValue)).ToList();
    }

    private static string ModuleOf(string key) => key.LastIndexOf('.') is var dot and >= 0 ? key[..dot] : "";
}
