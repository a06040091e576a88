using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace NeuralNet.Torch.Native;

/// <summary>Where libtorch comes from, and loading it once, before the first module or tensor this library makes.</summary>
/// <remarks>
/// <para>By default libtorch comes from the TorchSharp backend package the application references
/// (<c>TorchSharp-cpu</c>, <c>TorchSharp-cuda-linux</c>, ...), found by TorchSharp's own probing. On Linux x64 it can
/// instead come from an existing libtorch folder, such as a PyTorch wheel's <c>site-packages/torch/lib</c>: set the
/// <see cref="LibTorchDirectoryVariable"/> environment variable, or call <see cref="UseLibTorch"/> (which wins over
/// the variable). libtorch is then loaded from that folder (with its CUDA libraries when it is a CUDA build) before
/// TorchSharp probes, so <see cref="Devices.IsCudaAvailable"/> is that libtorch's answer. Build such an application
/// without a backend package (its <c>libLibTorchSharp.so</c> comes with the <c>TorchSharp</c> package): one that also
/// carries a backend package's libtorch is refused, since TorchSharp would load that copy beside the folder's.</para>
/// <para>TorchSharp 0.107's native glue was built against libtorch <see cref="ExpectedLibTorchRelease"/>. A folder
/// whose version (read from the files around it, see the README) is another release, or cannot be read, is still
/// loaded, with one warning naming both versions: to the logger given to <see cref="UseLibTorch"/>, else one line on
/// standard error. If the glue cannot be linked against it, initialisation fails with a message naming the folder,
/// both versions and the missing piece.</para>
/// <para>Everything in this library that makes native objects initialises first. A program whose first torch call is
/// TorchSharp's own (<c>torch.rand</c> before any NeuralNet.Torch call) should call <see cref="Initialize"/> before it
/// when it uses a libtorch folder: TorchSharp's probing would otherwise already have run. Initialisation also probes
/// CUDA once: libtorch disables CUDA for the process if a CPU backward pass runs before the first CUDA query.</para>
/// </remarks>
public static class TorchRuntime
{
    /// <summary>The environment variable naming a libtorch folder to load instead of a TorchSharp backend package
    /// (e.g. <c>/opt/venv/lib/python3.12/site-packages/torch/lib</c>).</summary>
    public const string LibTorchDirectoryVariable = "NEURALNET_LIBTORCH_DIR";

    /// <summary>The libtorch release (<c>major.minor</c>) TorchSharp 0.107's native glue was built against.</summary>
    public const string ExpectedLibTorchRelease = LibTorchLoader.GlueRelease;

    /// <summary>A diagnostic for a libtorch of another release: <c>1</c> links TorchSharp's glue to the folder's libtorch
    /// lazily, so that what exists runs and a call into a function it lacks ends the process (<c>symbol lookup
    /// error</c>) instead of the load failing up front. Not for production.</summary>
    internal const string LazyBindingVariable = "NEURALNET_LIBTORCH_LAZY";

    private const string ApiSource = "TorchRuntime.UseLibTorch";

    private static readonly Lazy<RuntimeState> State = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock Gate = new();
    private static string? _configuredDirectory;
    private static ILogger? _logger;
    private static bool _started;

    /// <summary>Loads libtorch from <paramref name="directory"/> instead of a TorchSharp backend package, when it is
    /// first needed. Wins over <see cref="LibTorchDirectoryVariable"/>.</summary>
    /// <param name="directory">A folder holding <c>libtorch.so</c>, <c>libtorch_cpu.so</c> and <c>libc10.so</c>
    /// (and, for CUDA, <c>libtorch_cuda.so</c> and <c>libc10_cuda.so</c>).</param>
    /// <param name="logger">Receives the version warning (and the line saying what was loaded); null for standard error.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or blank.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux x64.</exception>
    /// <exception cref="InvalidOperationException">libtorch was already initialised (or is being initialised) from
    /// somewhere else, or its initialisation failed.</exception>
    public static void UseLibTorch(string directory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (NotLinuxX64(ApiSource) is { } unsupported)
        {
            throw new PlatformNotSupportedException(unsupported);
        }
        lock (Gate)
        {
            if (_started)
            {
                var loaded = State.Value.Directory;
                if (loaded is not null && string.Equals(loaded, Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), StringComparison.Ordinal))
                {
                    return;
                }
                throw new InvalidOperationException(
                    $"libtorch is already initialised (from {loaded ?? "the TorchSharp backend package"}): call TorchRuntime.UseLibTorch before the first torch call.");
            }
            _configuredDirectory = directory;
            _logger = logger;
        }
    }

    /// <summary>Loads libtorch now if it is not loaded yet, from the folder given to <see cref="UseLibTorch"/>,
    /// <see cref="LibTorchDirectoryVariable"/>, or the TorchSharp backend package.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says why and what to do.
    /// The same exception is thrown by every later call: a failed load is not retried.</exception>
    public static void Initialize() => _ = State.Value;

    /// <summary>The folder libtorch was loaded from, when it came from <see cref="UseLibTorch"/> or
    /// <see cref="LibTorchDirectoryVariable"/>; null when it came from a TorchSharp backend package. Initialises
    /// libtorch if needed.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public static string? LibTorchDirectory => State.Value.Directory;

    /// <summary>The version of the libtorch in use: the folder's, as read from the files around it (null when they do
    /// not say), or, for a backend package, the libtorch version TorchSharp was built for. Initialises libtorch if needed.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    public static string? LibTorchVersion => State.Value.Version;

    /// <summary>True when libtorch reports a usable CUDA device.</summary>
    internal static bool IsCudaAvailable => State.Value.CudaAvailable;

    /// <summary>Why CUDA is not available, in words that say what to do; empty when it is.</summary>
    internal static string CudaUnavailableReason => State.Value.CudaUnavailableReason;

    /// <summary>Initialises libtorch if needed and returns <paramref name="passThrough"/>, so it can run inside a
    /// constructor's <c>base(...)</c> call, before the base constructor touches native code.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded; the message says why and what to do.</exception>
    internal static string EnsureInitialized(string passThrough)
    {
        _ = State.Value;
        return passThrough;
    }

    /// <summary>Initialises libtorch if needed.</summary>
    /// <exception cref="InvalidOperationException">libtorch could not be loaded.</exception>
    internal static void EnsureInitialized() => _ = State.Value;

    private static RuntimeState Load()
    {
        string? directory;
        ILogger? logger;
        lock (Gate)
        {
            _started = true;
            directory = _configuredDirectory;
            logger = _logger;
        }
        var source = ApiSource;
        if (directory is null)
        {
            directory = Environment.GetEnvironmentVariable(LibTorchDirectoryVariable);
            source = LibTorchDirectoryVariable;
        }
        return string.IsNullOrWhiteSpace(directory) ? LoadBackendPackage() : LoadFolder(directory, source, logger);
    }

    private static RuntimeState LoadBackendPackage()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            var cuda = torch.cuda.is_available();
            return new RuntimeState(null, torch.NormalizeNuGetVersion(torch.__version__), cuda, cuda ? string.Empty :
                "reference TorchSharp-cuda-linux or TorchSharp-cuda-windows (build with -p:TorchBackend=cuda-linux or cuda-windows), " +
                $"or set {LibTorchDirectoryVariable} to a CUDA build of libtorch (a CUDA PyTorch wheel's torch/lib), on a machine with an NVIDIA GPU and driver");
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new InvalidOperationException(
                "libtorch could not be loaded. Reference a TorchSharp backend package in the application " +
                "(TorchSharp-cpu, TorchSharp-cuda-linux or TorchSharp-cuda-windows), or on Linux x64 set " +
                $"{LibTorchDirectoryVariable} to an existing libtorch folder (a PyTorch wheel's torch/lib). On Debian 12 or Ubuntu 22.04, " +
                "keep NeuralNet.Torch's libstdc++ step on (NeuralNetTorchLibStdCxxFix is not 'false') and rebuild. " +
                "Cause: " + FirstLine(e.GetBaseException().Message), e);
        }
    }

    private static RuntimeState LoadFolder(string directory, string source, ILogger? logger)
    {
        if (NotLinuxX64(source) is { } unsupported)
        {
            throw new InvalidOperationException(unsupported);
        }
        var folder = LibTorchFolder.Inspect(directory, source);
        WarnIfOtherRelease(folder, logger, Console.Error);
        var lazy = Environment.GetEnvironmentVariable(LazyBindingVariable) is "1" or "true";
        if (lazy)
        {
            Warn($"{LazyBindingVariable} is set: TorchSharp's native glue is linked to the libtorch in '{folder.Path}' lazily; a call " +
                "into a function that libtorch lacks ends the process with 'symbol lookup error'.", logger, Console.Error);
        }
        LibTorchLoader.Load(folder, lazy);
        bool cuda;
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            cuda = torch.cuda.is_available();
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new InvalidOperationException(
                $"{source} ('{folder.Path}', libtorch {folder.VersionText}): libtorch loaded, but TorchSharp {LibTorchLoader.TorchSharpVersion} " +
                $"(built against libtorch {ExpectedLibTorchRelease}) could not start on it: {FirstLine(e.GetBaseException().Message)}", e);
        }
        var reason = cuda ? string.Empty
            : folder.HasCuda
                ? $"the libtorch in '{folder.Path}' ({source}) is a CUDA build, but it found no usable GPU: check the NVIDIA driver (nvidia-smi)"
                : $"the libtorch in '{folder.Path}' ({source}) is CPU-only: it has no libtorch_cuda.so";
        var message = $"libtorch {folder.VersionText} loaded from '{folder.Path}' ({source}); CUDA {(cuda ? "available" : "not available")}.";
        logger?.LogInformation("{Message}", message);
        return new RuntimeState(folder.Path, folder.Version, cuda, reason);
    }

    /// <summary>Warns, once per load, when <paramref name="folder"/>'s libtorch is not <see cref="ExpectedLibTorchRelease"/>
    /// or its version is unknown: to <paramref name="logger"/>, or as one <c>warning:</c> line on
    /// <paramref name="standardError"/> when there is none (the load runs in whatever first needs torch).</summary>
    internal static void WarnIfOtherRelease(LibTorchFolder folder, ILogger? logger, TextWriter standardError)
    {
        if (folder.Version is not null && LibTorchVersionReader.IsRelease(folder.Version, ExpectedLibTorchRelease))
        {
            return;
        }
        var found = folder.Version is null
            ? $"is of unknown version (none of these says: {folder.VersionSource})"
            : $"is version {folder.Version} (from {folder.VersionSource})";
        Warn($"the libtorch in '{folder.Path}' ({folder.Source}) {found}, but TorchSharp {LibTorchLoader.TorchSharpVersion}'s native glue " +
            $"was built against libtorch {ExpectedLibTorchRelease}.x: it is used anyway, and only what your own checks run on it is known to work.",
            logger, standardError);
    }

    private static void Warn(string warning, ILogger? logger, TextWriter standardError)
    {
        if (logger is not null)
        {
            logger.LogWarning("{Warning}", warning);
        }
        else
        {
            standardError.WriteLine("warning: NeuralNet.Torch: " + warning);
        }
    }

    private static string? NotLinuxX64(string source) =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? null
            : $"{source}: loading libtorch from a folder is supported on Linux x64 only (this is {RuntimeInformation.RuntimeIdentifier}); reference a TorchSharp backend package instead.";

    // TorchSharp's load failures carry its whole probing trace; the first line says what failed.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static bool IsLoadFailure(Exception e) =>
        e is DllNotFoundException or TypeInitializationException or NotSupportedException or EntryPointNotFoundException;

    private sealed record RuntimeState(string? Directory, string? Version, bool CudaAvailable, string CudaUnavailableReason);
}
