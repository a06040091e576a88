namespace NeuralNet.Torch.Native;

/// <summary>A folder holding a libtorch build (a PyTorch wheel's <c>torch/lib</c>, a libtorch zip's <c>lib</c>, a
/// NuGet libtorch package's <c>runtimes/linux-x64/native</c>), checked before anything in it is loaded.</summary>
internal sealed class LibTorchFolder
{
    /// <summary>The libraries TorchSharp's glue links by these plain names; all must be in the folder.</summary>
    public static IReadOnlyList<string> Required { get; } = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];

    /// <summary>The CUDA half of a CUDA build; loaded when present, before <c>libtorch.so</c>.</summary>
    public static IReadOnlyList<string> Cuda { get; } = ["libc10_cuda.so", "libtorch_cuda.so"];

    /// <summary>The library Python loads first, with <c>RTLD_GLOBAL</c>, so that the CUDA libraries it depends on
    /// are visible to the ones libtorch opens later (cuDNN's engines, NVRTC); loaded the same way when present.</summary>
    public const string GlobalDeps = "libtorch_global_deps.so";

    private LibTorchFolder(string path, string source, string? version, string versionSource, bool hasCuda)
    {
        Path = path;
        Source = source;
        Version = version;
        VersionSource = versionSource;
        HasCuda = hasCuda;
    }

    /// <summary>The folder, as a full path without a trailing separator.</summary>
    public string Path { get; }

    /// <summary>Who named the folder, for messages: the environment variable or the API.</summary>
    public string Source { get; }

    /// <summary>libtorch's version as the folder's distribution states it; null when it does not.</summary>
    public string? Version { get; }

    /// <summary>The file the version was read from, or where it was looked for when <see cref="Version"/> is null.</summary>
    public string VersionSource { get; }

    /// <summary>True when the folder holds <c>libtorch_cuda.so</c> (a CUDA build of libtorch).</summary>
    public bool HasCuda { get; }

    /// <summary>The version for messages, after "libtorch": <c>version 2.10.0</c> or <c>of unknown version</c>.</summary>
    public string VersionText => Version is null ? "of unknown version" : $"version {Version}";

    /// <summary>Checks that <paramref name="directory"/> holds a libtorch and reads its version.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="source">Who named it (<c>NEURALNET_LIBTORCH_DIR</c> or <c>TorchRuntime.UseLibTorch</c>).</param>
    /// <exception cref="InvalidOperationException">The folder does not exist or lacks one of <see cref="Required"/>.</exception>
    public static LibTorchFolder Inspect(string directory, string source)
    {
        var path = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(directory));
        const string Expected = "a folder holding libtorch.so, libtorch_cpu.so and libc10.so (a PyTorch wheel's " +
            "torch/lib, libtorch/lib of a libtorch zip, or a NuGet libtorch package's runtimes/linux-x64/native)";
        if (!Directory.Exists(path))
        {
            throw new InvalidOperationException($"{source} is '{directory}', but that folder does not exist: expected {Expected}.");
        }
        var missing = Required.Where(name => !File.Exists(System.IO.Path.Combine(path, name))).ToList();
        if (missing.Contains("libtorch.so"))
        {
            throw new InvalidOperationException($"{source} is '{directory}', but there is no libtorch.so in it: expected {Expected}.");
        }
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"{source} is '{directory}': it has libtorch.so but no {string.Join(" and no ", missing)}: expected {Expected}.");
        }
        var version = LibTorchVersionReader.Read(path);
        return new LibTorchFolder(path, source, version?.Version, version?.Source ?? LibTorchVersionReader.Places,
            File.Exists(System.IO.Path.Combine(path, "libtorch_cuda.so")));
    }

    /// <summary>The full path of <paramref name="name"/> in the folder.</summary>
    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>True when <paramref name="name"/> is in the folder.</summary>
    public bool Has(string name) => File.Exists(PathOf(name));
}
