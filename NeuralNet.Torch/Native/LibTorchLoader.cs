using System.Reflection;
using TorchSharp;

namespace NeuralNet.Torch.Native;

/// <summary>Loads libtorch from a folder, then TorchSharp's native glue against it, before TorchSharp's own probing
/// runs; TorchSharp's probing then finds everything it looks for already loaded.</summary>
/// <remarks>
/// <para>TorchSharp 0.107's loader (<c>torch.LoadNativeBackend</c>) loads <c>torch_cuda</c> or <c>torch_cpu</c> and
/// <c>LibTorchSharp</c> by name from the application's native folders (and the system's), and only when that fails
/// copies natives out of a NuGet libtorch package in the NuGet cache. The glue, <c>libLibTorchSharp.so</c>, links
/// <c>libtorch.so</c>, <c>libtorch_cpu.so</c> and <c>libc10.so</c> by those names, which the dynamic loader matches
/// against the sonames of libraries already loaded. So loading the folder's libraries first, then the application's
/// glue, links the glue to them, and TorchSharp's later loads by name return the same libraries.</para>
/// <para>The one way a second libtorch could still come in is a backend package's own <c>libtorch_cpu.so</c> or
/// <c>libtorch_cuda.so</c> in the application's folders, which TorchSharp's probing would load beside the folder's:
/// that is refused unless it is the very same file (a hard link, as this repository's builds make).</para>
/// <para>The glue is loaded with <c>RTLD_NOW</c>: a symbol the folder's libtorch lacks fails this load with the
/// loader's message, instead of ending the process at the first call that needs it (unless the diagnostic
/// <see cref="TorchRuntime.LazyBindingVariable"/> asks for <c>RTLD_LAZY</c>).</para>
/// </remarks>
internal static class LibTorchLoader
{
    /// <summary>The libtorch release TorchSharp 0.107's native glue was built against.</summary>
    public const string GlueRelease = "2.10";

    private const string Glue = "libLibTorchSharp.so";

    // What TorchSharp's probing loads by name (torch_cpu, torch_cuda) as it finds them in the application's folders.
    private static readonly string[] ProbedByTorchSharp = ["libtorch_cpu.so", "libtorch_cuda.so"];

    /// <summary>Loads <paramref name="folder"/>'s libtorch and the application's <c>libLibTorchSharp.so</c> against
    /// it. Call once, before any TorchSharp call.</summary>
    /// <param name="folder">The libtorch.</param>
    /// <param name="lazy">Link the glue's functions at their first call (<c>RTLD_LAZY</c>) instead of now: a diagnostic
    /// for another libtorch release, where a call into a function it lacks then ends the process.</param>
    /// <exception cref="InvalidOperationException">TorchSharp was already loaded, the glue is not in the application,
    /// the application carries another libtorch, or a library could not be loaded or linked; the message names the
    /// folder, the library and the loader's reason.</exception>
    public static void Load(LibTorchFolder folder, bool lazy)
    {
        var origin = $"{folder.Source} ('{folder.Path}', libtorch {folder.VersionText})";
        if (DynamicLinker.IsLoaded(Glue))
        {
            throw new InvalidOperationException(
                $"{origin}: TorchSharp had already loaded its native libraries before NeuralNet.Torch could load them from that folder. " +
                "Make a NeuralNet.Torch call (or TorchRuntime.Initialize()) the process's first torch call.");
        }
        var gluePath = FindGlue() ?? throw new InvalidOperationException(
            $"{origin}: {Glue} (TorchSharp's native glue, from the TorchSharp package's runtimes/linux-x64/native) is not in " +
            $"the application's folders ({string.Join(", ", ApplicationNativeFolders())}). Build or publish the application for linux-x64 with NeuralNet.Torch referenced.");

        if (folder.Has(LibTorchFolder.GlobalDeps))
        {
            LoadFromFolder(folder, LibTorchFolder.GlobalDeps, DynamicLinker.Lazy | DynamicLinker.Global, origin);
        }
        foreach (var name in LoadOrder(folder))
        {
            LoadFromFolder(folder, name, DynamicLinker.Lazy, origin);
        }
        var otherCopy = ApplicationNativeFolders().SelectMany(d => ProbedByTorchSharp.Select(n => Path.Combine(d, n)))
            .FirstOrDefault(f => File.Exists(f) && !DynamicLinker.IsLoaded(f));
        if (otherCopy is not null)
        {
            throw new InvalidOperationException(
                $"{origin}: the application also carries libtorch of its own ({otherCopy}, from a TorchSharp backend package), which " +
                "TorchSharp would load beside the folder's. Build it without a backend package (in this repository -p:TorchBackend=external; " +
                $"in your project, reference NeuralNet.Torch without TorchSharp-cpu or TorchSharp-cuda-*), or unset {TorchRuntime.LibTorchDirectoryVariable}.");
        }
        foreach (var name in LibTorchFolder.Required.Where(n => !DynamicLinker.IsLoaded(n)))
        {
            var target = new FileInfo(folder.PathOf(name)).ResolveLinkTarget(returnFinalTarget: true)?.Name ?? name;
            throw new InvalidOperationException(
                $"{origin}: {name} loaded ({target}), but does not answer to the name {name}: its soname carries a version, as in a " +
                $"Linux distribution's build of libtorch. TorchSharp's {Glue} links {string.Join(", ", LibTorchFolder.Required)} " +
                $"by those plain names, as PyTorch's wheels and libtorch zips name them: use a PyTorch wheel's torch/lib or a libtorch {GlueRelease} zip.");
        }
        var glue = DynamicLinker.Open(gluePath, lazy ? DynamicLinker.Lazy : DynamicLinker.Now, out var error);
        if (glue == IntPtr.Zero)
        {
            var hint = !lazy && error.Contains("undefined symbol", StringComparison.Ordinal)
                ? $" (to link it anyway and find out what runs, set {TorchRuntime.LazyBindingVariable}=1: a call into a missing function then ends the process)"
                : string.Empty;
            throw new InvalidOperationException(
                $"{origin}: TorchSharp's native glue {gluePath} (TorchSharp {TorchSharpVersion}, built against libtorch {GlueRelease}) " +
                $"could not be linked against that libtorch: {error}{hint}");
        }
    }

    /// <summary>The TorchSharp assembly's informational version without the commit (e.g. <c>0.107.0</c>).</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static IEnumerable<string> LoadOrder(LibTorchFolder folder)
    {
        yield return "libc10.so";
        yield return "libtorch_cpu.so";
        foreach (var name in LibTorchFolder.Cuda.Where(folder.Has))
        {
            yield return name;
        }
        yield return "libtorch.so";
    }

    private static void LoadFromFolder(LibTorchFolder folder, string name, int flags, string origin)
    {
        var handle = DynamicLinker.Open(folder.PathOf(name), flags, out var error);
        if (handle != IntPtr.Zero)
        {
            return;
        }
        var cudaHint = folder.HasCuda
            ? " A CUDA build needs its CUDA libraries (the nvidia-* wheels installed with torch, or a CUDA toolkit) where the loader " +
              "finds them; the message names the one it did not find (adding its folder to LD_LIBRARY_PATH before the process starts is one way)."
            : string.Empty;
        throw new InvalidOperationException($"{origin}: {name} could not be loaded: {error}.{cudaHint}");
    }

    private static string? FindGlue() =>
        ApplicationNativeFolders().Select(d => Path.Combine(d, Glue)).FirstOrDefault(File.Exists);

    private static IEnumerable<string> ApplicationNativeFolders()
    {
        var folders = new List<string>();
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
        {
            folders.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }
        var torchSharp = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchSharp))
        {
            folders.Add(torchSharp);
            folders.Add(Path.Combine(torchSharp, "runtimes", "linux-x64", "native"));
        }
        folders.Add(AppContext.BaseDirectory);
        return folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f))).Distinct();
    }
}
