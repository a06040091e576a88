using System.Text;
using NeuralNet.Torch.Native;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>libtorch folders for the tests of NEURALNET_LIBTORCH_DIR: the restored TorchSharp-cpu package's, and
/// Debian's PyTorch 1.13 (the oracle's), as it is and with plain sonames.</summary>
internal static class LibTorchFolders
{
    private static readonly Lazy<string?> Debian = new(FindPythonTorchLib);

    /// <summary><c>libtorch-cpu-linux-x64/&lt;version&gt;/runtimes/linux-x64/native</c> in the NuGet cache: the
    /// very libtorch the tests' backend package brings.</summary>
    public static string PackageNative
    {
        get
        {
            var versions = Directory.GetDirectories(Path.Combine(TestPaths.NuGetPackageRoot, "libtorch-cpu-linux-x64"))
                .Where(d => LibTorchVersionReader.IsRelease(Path.GetFileName(d), TorchRuntime.ExpectedLibTorchRelease));
            return Path.Combine(versions.Single(), "runtimes", "linux-x64", "native");
        }
    }

    /// <summary>The torch/lib of /usr/bin/python3's torch (Debian's 1.13: versioned sonames); ignores the test when
    /// that torch is not installed.</summary>
    public static string DebianTorchLib()
    {
        if (Debian.Value is null)
        {
            Assert.Ignore("Needs /usr/bin/python3 with torch (Debian's python3-torch 1.13); not installed here.");
        }
        return Debian.Value!;
    }

    /// <summary>A copy of Debian's torch/lib (and its ../version.py) under <paramref name="temp"/> whose libraries
    /// carry the plain sonames PyTorch's wheels use (<c>libtorch_cpu.so.1.13</c> becomes <c>libtorch_cpu.so</c> in
    /// each <c>.dynstr</c>, padded with zeros), so that TorchSharp's 2.10 glue gets as far as resolving symbols.</summary>
    /// <returns>The copy's lib folder.</returns>
    public static string DebianWithPlainSonames(TempFolder temp)
    {
        var source = DebianTorchLib();
        var lib = Directory.CreateDirectory(temp.File("torch/lib")).FullName;
        File.Copy(Path.Combine(source, "..", "version.py"), temp.File("torch/version.py"));
        string[] names = ["libc10", "libtorch_cpu", "libtorch", "libtorch_global_deps"];
        foreach (var name in names)
        {
            var image = File.ReadAllBytes(Path.Combine(source, name + ".so"));
            foreach (var other in names)
            {
                Replace(image, other + ".so.1.13\0", other + ".so\0");
            }
            File.WriteAllBytes(Path.Combine(lib, name + ".so"), image);
        }
        return lib;
    }

    /// <summary>Checks that <paramref name="stderr"/> is the two lines a 1.13 folder gives: the warning naming the
    /// folder, 1.13 and the glue's release, then an error; returns the error line.</summary>
    public static string ErrorAfterThe113Warning(string stderr, string folder)
    {
        var lines = stderr.TrimEnd().Split('\n');
        lines.Should().HaveCount(2, stderr);
        lines[0].Should().StartWith($"warning: NeuralNet.Torch: the libtorch in '{folder}' (NEURALNET_LIBTORCH_DIR) is version 1.13")
            .And.Contain($"TorchSharp {TestPaths.TorchSharpVersion}'s native glue was built against libtorch {TorchRuntime.ExpectedLibTorchRelease}.x");
        lines[1].Should().StartWith($"error: NEURALNET_LIBTORCH_DIR ('{folder}', libtorch version 1.13");
        return lines[1];
    }

    // Replaces whole strings of a string table (each starts after a NUL) by shorter ones padded with NULs.
    private static void Replace(byte[] image, string from, string to)
    {
        var pattern = Encoding.ASCII.GetBytes(from);
        var replacement = new byte[pattern.Length];
        Encoding.ASCII.GetBytes(to).CopyTo(replacement, 0);
        for (var i = image.AsSpan().IndexOf(pattern); i > 0; )
        {
            if (image[i - 1] == 0)
            {
                replacement.CopyTo(image, i);
            }
            var next = image.AsSpan(i + 1).IndexOf(pattern);
            i = next < 0 ? -1 : i + 1 + next;
        }
    }

    private static string? FindPythonTorchLib()
    {
        if (!File.Exists("/usr/bin/python3"))
        {
            return null;
        }
        var (exitCode, stdout, _) = ProcessRunner.Run("/usr/bin/python3",
            ["-c", "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(1));
        var lib = stdout.Trim();
        return exitCode == 0 && File.Exists(Path.Combine(lib, "libtorch_cpu.so")) ? lib : null;
    }
}
