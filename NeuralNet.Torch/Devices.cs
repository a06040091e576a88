using System.Globalization;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch;

/// <summary>
/// Chooses the device the document's way: <c>'cuda' if torch.cuda.is_available() else 'cpu'</c>, overridable by an
/// argument or the <see cref="EnvironmentVariable"/> environment variable.
/// </summary>
public static class Devices
{
    /// <summary>The environment variable that overrides the automatic choice: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>
    /// or <c>auto</c>.</summary>
    public const string EnvironmentVariable = "NEURALNET_DEVICE";

    /// <summary>True when libtorch can use a CUDA device in this process (a CUDA backend package is referenced, or
    /// <see cref="TorchRuntime.LibTorchDirectoryVariable"/> names a CUDA build of libtorch, and a GPU with a working
    /// driver is present).</summary>
    public static bool IsCudaAvailable => TorchRuntime.IsCudaAvailable;

    /// <summary>Resolves the device to use.</summary>
    /// <param name="requested"><c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (case-insensitive). When null
    /// or empty, <see cref="EnvironmentVariable"/> is read; when that is unset too, <c>auto</c> is used:
    /// CUDA if available, else the CPU.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentException">The request (or the environment variable) is not one of the forms above.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for explicitly but is not available, or the
    /// device index is not below the number of CUDA devices.</exception>
    public static Device Resolve(string? requested = null)
    {
        var source = "argument";
        if (string.IsNullOrWhiteSpace(requested))
        {
            requested = Environment.GetEnvironmentVariable(EnvironmentVariable);
            source = $"environment variable {EnvironmentVariable}";
        }
        if (string.IsNullOrWhiteSpace(requested))
        {
            return IsCudaAvailable ? CUDA : CPU;
        }

        var text = requested.Trim().ToLowerInvariant();
        if (text == "auto")
        {
            return IsCudaAvailable ? CUDA : CPU;
        }
        if (text == "cpu")
        {
            TorchRuntime.EnsureInitialized();
            return CPU;
        }
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var index = 0;
            if (text.Length > 4 && !int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index))
            {
                throw Unknown(requested, source);
            }
            if (!IsCudaAvailable)
            {
                throw new InvalidOperationException(
                    $"Device '{requested}' was requested ({source}), but CUDA is not available in this process: " +
                    $"{TorchRuntime.CudaUnavailableReason}; or ask for 'cpu'.");
            }
            var count = cuda.device_count();
            if (index >= count)
            {
                throw new InvalidOperationException(
                    $"Device '{requested}' was requested ({source}), but only {count} CUDA device(s) exist (cuda:0 to cuda:{count - 1}).");
            }
            return text == "cuda" ? CUDA : new Device(DeviceType.CUDA, index);
        }
        throw Unknown(requested, source);
    }

    /// <summary>The device's name as the document prints it in <c>Using {device} device</c>: <c>cpu</c>,
    /// <c>cuda</c>, or <c>cuda:N</c> for a device index above 0.</summary>
    /// <param name="device">The device.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    public static string Describe(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var type = device.type.ToString().ToLowerInvariant();
        return device.index > 0 ? $"{type}:{device.index}" : type;
    }

    private static ArgumentException Unknown(string requested, string source) =>
        new($"Unknown device '{requested}' ({source}): expected 'cpu', 'cuda', 'cuda:N' or 'auto'.", nameof(requested));
}
