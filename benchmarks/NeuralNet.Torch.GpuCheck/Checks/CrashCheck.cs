using System.Runtime.InteropServices;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Prints a number, then dies of a segmentation fault in native code, as a crash in libtorch would: shows that the report
/// keeps the other checks and this one's numbers (not in the default list; <c>--checks runtime,crash</c>).</summary>
internal static class CrashCheck
{
    public static void Run(CheckOutput output)
    {
        output.Number("before_crash", 1);
        _ = Memset(IntPtr.Zero, 0, 1);
        output.Fail("Writing to address 0 did not end the process.");
    }

    [DllImport("libc", EntryPoint = "memset")]
    private static extern IntPtr Memset(IntPtr destination, int value, nuint count);
}
