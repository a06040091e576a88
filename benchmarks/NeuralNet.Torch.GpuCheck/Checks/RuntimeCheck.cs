using System.Reflection;
using NeuralNet.Torch.Native;
using TorchSharp;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Loads libtorch the library's way and says what was loaded: folder, version, TorchSharp, CUDA.</summary>
internal static class RuntimeCheck
{
    public static void Run(CheckOutput output)
    {
        TorchRuntime.Initialize();
        output.Info("libtorch_dir", TorchRuntime.LibTorchDirectory ?? "(a TorchSharp backend package)");
        output.Info("libtorch_version", TorchRuntime.LibTorchVersion ?? "unknown");
        output.Info("torchsharp", typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]);
        output.Info("neuralnet_torch", typeof(NeuralNetwork).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion);
        output.Info("cuda_available", Devices.IsCudaAvailable);
        if (Cuda.TryGet(out var reason, out var explanation) is null)
        {
            output.Pass($"libtorch loaded; {reason}: {explanation}");
            return;
        }
        output.Number("cuda_devices", torch.cuda.device_count());
        output.Info("cudnn_available", torch.cuda.is_cudnn_available());
        Cuda.ReportTf32(output);
        output.Pass("libtorch loaded; CUDA available");
    }
}
