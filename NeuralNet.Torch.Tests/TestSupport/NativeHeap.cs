using System.Runtime.InteropServices;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Bytes in use on the process's native (malloc) heap, from glibc's <c>mallinfo2</c> (all arenas). Native
/// libraries such as ONNX Runtime allocate there; the .NET GC heap is not counted.</summary>
internal static class NativeHeap
{
    /// <summary>True where <see cref="BytesInUse"/> works: Linux with glibc 2.33 or later.</summary>
    public static bool IsAvailable
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return false;
            }
            try
            {
                _ = mallinfo2();
                return true;
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                return false;
            }
        }
    }

    /// <summary>Allocated bytes: small and large chunks in the arenas plus chunks mapped on their own.</summary>
    public static long BytesInUse
    {
        get
        {
            var info = mallinfo2();
            return (long)(info.uordblks + info.hblkhd);
        }
    }

    // DllImport, not LibraryImport: the struct is blittable, and LibraryImport would need unsafe code enabled.
    [DllImport("libc.so.6")]
    private static extern MallInfo2 mallinfo2();

#pragma warning disable IDE1006, SA1300, CS0649 // glibc's field names; filled by the native call
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena;
        public nuint ordblks;
        public nuint smblks;
        public nuint hblks;
        public nuint hblkhd;
        public nuint usmblks;
        public nuint fsmblks;
        public nuint uordblks;
        public nuint fordblks;
        public nuint keepcost;
    }
#pragma warning restore IDE1006, SA1300, CS0649
}
