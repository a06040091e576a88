using NeuralNet.Torch.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>A checkpoint saved from a model whose tensors are on CUDA (PyTorch <c>.pth</c> and safetensors), loaded
/// into a CPU model: every tensor bit-exact; without CUDA, the same round trip from the CPU.</summary>
internal static class CheckpointCheck
{
    private static readonly string[] Extensions = [".pth", ".safetensors"];

    public static void Run(CheckOutput output)
    {
        torch.manual_seed(5);
        var device = Cuda.TryGet(out var reason);
        using var source = new NeuralNetwork();
        if (device is not null)
        {
            source.to(device);
        }
        var folder = Directory.CreateTempSubdirectory("gpucheck-");
        try
        {
            var failures = new List<string>();
            foreach (var extension in Extensions)
            {
                var path = Path.Combine(folder.FullName, "model" + extension);
                source.SaveCheckpoint(path);
                using var loaded = new NeuralNetwork();
                loaded.LoadCheckpoint(path);
                var different = DifferentTensors(source, loaded);
                output.Number($"{extension.TrimStart('.')}_tensors_not_bit_exact", different.Count);
                failures.AddRange(different.Select(name => $"{name} ({extension})"));
            }
            var from = device is null ? "CPU" : "CUDA";
            var what = failures.Count == 0
                ? $"saved from {from} tensors as .pth and .safetensors, loaded on the CPU: all {source.state_dict().Count} tensors bit-exact"
                : $"saved from {from} tensors, loaded on the CPU: not bit-exact: {string.Join(", ", failures)}";
            if (device is null && failures.Count == 0)
            {
                output.Skip($"{reason}; CPU half: {what}");
            }
            else
            {
                output.Verdict(failures.Count == 0, what);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static List<string> DifferentTensors(NeuralNetwork source, NeuralNetwork loaded)
    {
        using var scope = NewDisposeScope();
        var expected = source.state_dict();
        var actual = loaded.state_dict();
        return expected.Where(entry => !actual.TryGetValue(entry.Key, out var value)
                || value.device_type != DeviceType.CPU
                || !Compare.BitExact(entry.Value.cpu().bytes, value.bytes))
            .Select(entry => entry.Key).ToList();
    }
}
