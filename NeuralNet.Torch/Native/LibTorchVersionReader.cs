using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace NeuralNet.Torch.Native;

/// <summary>Reads the version of the libtorch in a folder from the files that distributions put around it.</summary>
/// <remarks>libtorch's binaries carry no version string (its build settings are assembled in code), so the version
/// comes from, in this order: a PyTorch wheel's <c>torch/version.py</c> (<c>__version__ = '2.11.0+cu130'</c>) beside
/// <c>torch/lib</c>; a libtorch zip's <c>libtorch/build-version</c> beside <c>libtorch/lib</c>; the <c>.nuspec</c> of
/// a NuGet libtorch package whose <c>runtimes/&lt;rid&gt;/native</c> folder it is; the file name that
/// <c>libtorch_cpu.so</c> resolves to when it is a versioned link (<c>libtorch_cpu.so.1.13.0</c>).</remarks>
internal static partial class LibTorchVersionReader
{
    /// <summary>Where <see cref="Read"/> looks, for messages when it finds nothing.</summary>
    public const string Places = "../version.py of a PyTorch wheel, ../build-version of a libtorch zip, the .nuspec of a " +
        "NuGet libtorch package, a versioned libtorch_cpu.so file name";

    /// <summary>The version of the libtorch in <paramref name="directory"/>, and where it was read; null when none of
    /// the places above says.</summary>
    public static (string Version, string Source)? Read(string directory)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(directory));
        if (parent is not null)
        {
            var versionPy = Path.Combine(parent, "version.py");
            if (File.Exists(versionPy) && VersionPyLine().Match(File.ReadAllText(versionPy)) is { Success: true } match)
            {
                return (match.Groups[1].Value, versionPy);
            }
            var buildVersion = Path.Combine(parent, "build-version");
            if (File.Exists(buildVersion) && File.ReadLines(buildVersion).FirstOrDefault()?.Trim() is { Length: > 0 } line)
            {
                return (line, buildVersion);
            }
        }
        if (FromNuspec(directory) is { } fromNuspec)
        {
            return fromNuspec;
        }
        var cpu = new FileInfo(Path.Combine(directory, "libtorch_cpu.so"));
        var target = cpu.Exists ? cpu.ResolveLinkTarget(returnFinalTarget: true) : null;
        if (target is not null && VersionedFileName().Match(target.Name) is { Success: true } versioned)
        {
            return (versioned.Groups[1].Value, target.FullName);
        }
        return null;
    }

    /// <summary>True when <paramref name="version"/> is <paramref name="expected"/> (<c>major.minor</c>) or one of
    /// its patch releases, whatever follows (<c>2.10.0+cpu</c>, <c>2.10.1</c>).</summary>
    public static bool IsRelease(string version, string expected) =>
        version == expected || version.StartsWith(expected + ".", StringComparison.Ordinal);

    private static (string, string)? FromNuspec(string directory)
    {
        // <packages>/<id>/<version>/runtimes/<rid>/native
        var native = new DirectoryInfo(directory);
        var packageRoot = native.Parent?.Parent?.Parent;
        if (native.Name != "native" || native.Parent?.Parent?.Name != "runtimes" || packageRoot is null)
        {
            return null;
        }
        foreach (var nuspec in packageRoot.EnumerateFiles("*.nuspec"))
        {
            var metadata = XDocument.Load(nuspec.FullName).Root?.Elements().FirstOrDefault(e => e.Name.LocalName == "metadata");
            var id = Child(metadata, "id");
            var version = Child(metadata, "version");
            if (id is not null && id.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase) && version is not null)
            {
                return (version, nuspec.FullName);
            }
        }
        return null;
    }

    private static string? Child(XElement? element, string name) =>
        element?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim();

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex VersionPyLine();

    [GeneratedRegex(@"^libtorch_cpu\.so\.(\d+\.\d+(?:\.\d+)?)$")]
    private static partial Regex VersionedFileName();
}
