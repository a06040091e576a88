using TorchSharp;

namespace NeuralNet.Torch.Native;

/// <summary>Loads libtorch once, before the first module or tensor this library makes.</summary>
/// <remarks>
/// TorchSharp loads its native backend in <c>torch</c>'s static initialiser, but a module constructor called before
/// any <c>torch.*</c> call goes straight to P/Invoke and fails with a confusing <see cref="DllNotFoundException"/>.
/// Everything in this library that makes native objects calls <see cref="EnsureInitialized()"/> first. It also probes
/// CUDA once: libtorch disables CUDA for the process if a CPU backward pass runs before the first CUDA query.
/// </remarks>
internal static class TorchRuntime
{
    private static readonly Lazy<bool> CudaAvailable = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when libtorch reports a usable CUDA device (a CUDA backend package is referenced and a GPU is present).</summary>
    public static bool IsCudaAvailable => CudaAvailable.Value;

    /// <summary>Initialises libtorch if needed and returns <paramref name="passThrough"/>, so it can run inside a
    /// constructor's <c>base(...)</c> call, before the base constructor touches native code.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says why and what to do.</exception>
    public static string EnsureInitialized(string passThrough)
    {
        _ = CudaAvailable.Value;
        return passThrough;
    }

    /// <summary>Initialises libtorch if needed.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public static void EnsureInitialized() => _ = CudaAvailable.Value;

    private static bool Initialize()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return torch.cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException(
                "libtorch could not be loaded. Reference a TorchSharp backend package in the application " +
                "(TorchSharp-cpu, TorchSharp-cuda-linux or TorchSharp-cuda-windows). On Debian 12 or Ubuntu 22.04, " +
                "keep NeuralNet.Torch's libstdc++ step on (NeuralNetTorchLibStdCxxFix is not 'false') and rebuild. " +
                "Cause: " + e.GetBaseException().Message, e);
        }
    }
}
