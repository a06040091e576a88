using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>The CUDA device when there is one, and the settings the comparisons run under.</summary>
internal static class Cuda
{
    /// <summary>The CUDA device, or null with the reason <c>CUDA not available</c> (the runtime check reports the
    /// library's whole explanation once).</summary>
    public static Device? TryGet(out string reason) => TryGet(out reason, out _);

    /// <summary>The CUDA device, or null with the short reason and the library's explanation.</summary>
    public static Device? TryGet(out string reason, out string explanation)
    {
        reason = explanation = string.Empty;
        try
        {
            return Devices.Resolve("cuda");
        }
        catch (InvalidOperationException e)
        {
            reason = "CUDA not available";
            explanation = e.Message;
            return null;
        }
    }

    /// <summary>Turns TF32 off for cuBLAS and cuDNN (cuDNN convolutions use it by default on Ampere and later, which
    /// is not float32's precision), so CPU and CUDA are compared at the same precision; a libtorch that refuses is
    /// noted and the comparison goes on.</summary>
    public static void UseFullFloat32(CheckOutput output)
    {
        try
        {
            torch.backends.cuda.matmul.allow_tf32 = false;
            torch.backends.cudnn.allow_tf32 = false;
        }
        catch (Exception e) when (e is ExternalException or EntryPointNotFoundException)
        {
            output.Info("tf32_off_failed", e.Message.ReplaceLineEndings(" "));
        }
    }

    /// <summary>The TF32 settings as libtorch has them now, for the report.</summary>
    public static void ReportTf32(CheckOutput output)
    {
        try
        {
            output.Info("tf32_cublas", torch.backends.cuda.matmul.allow_tf32);
            output.Info("tf32_cudnn", torch.backends.cudnn.allow_tf32);
        }
        catch (Exception e) when (e is ExternalException or EntryPointNotFoundException)
        {
            output.Info("tf32_unreadable", e.Message.ReplaceLineEndings(" "));
        }
    }
}
