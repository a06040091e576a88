using System.Runtime.InteropServices;

namespace NeuralNet.Torch.Native;

/// <summary>glibc's <c>dlopen</c>, called directly: <see cref="NativeLibrary"/> cannot ask for <c>RTLD_NOW</c>,
/// <c>RTLD_GLOBAL</c> or <c>RTLD_NOLOAD</c>, and does not return <c>dlerror()</c>'s text.</summary>
internal static partial class DynamicLinker
{
    /// <summary>Resolve function symbols at the first call (what <see cref="NativeLibrary"/> does).</summary>
    public const int Lazy = 0x1;

    /// <summary>Resolve every symbol now: a missing one fails the load instead of killing the process later.</summary>
    public const int Now = 0x2;

    /// <summary>Make the library's symbols available to libraries loaded later (what Python does for
    /// <c>libtorch_global_deps.so</c>).</summary>
    public const int Global = 0x100;

    /// <summary>Only look the library up among those already loaded (by path or soname).</summary>
    private const int NoLoad = 0x4;

    // libdl.so.2 exists on every glibc; since 2.34 it forwards to libc.so.6.
    private const string Library = "libdl.so.2";

    /// <summary>Loads <paramref name="path"/> with <paramref name="flags"/>.</summary>
    /// <returns>The handle, or zero with <paramref name="error"/> set to the loader's message.</returns>
    public static IntPtr Open(string path, int flags, out string error)
    {
        var handle = dlopen(path, flags);
        error = handle == IntPtr.Zero ? Marshal.PtrToStringUTF8(dlerror()) ?? "unknown dlopen error" : string.Empty;
        return handle;
    }

    /// <summary>True when a library answering to <paramref name="name"/> (a file name matched against loaded
    /// libraries' names and sonames) is already loaded in this process.</summary>
    public static bool IsLoaded(string name)
    {
        var handle = dlopen(name, Lazy | NoLoad);
        if (handle == IntPtr.Zero)
        {
            _ = dlerror();
            return false;
        }
        _ = dlclose(handle);
        return true;
    }

#pragma warning disable SA1300, IDE1006 // the C functions' own names
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr dlopen(string file, int mode);

    [LibraryImport(Library)]
    private static partial IntPtr dlerror();

    [LibraryImport(Library)]
    private static partial int dlclose(IntPtr handle);
#pragma warning restore SA1300, IDE1006
}
