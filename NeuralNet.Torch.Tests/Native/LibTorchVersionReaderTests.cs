using NeuralNet.Torch.Native;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Native;

public sealed class LibTorchVersionReaderTests
{
    [Test]
    public void Read_PyTorchWheelLayout_ReadsTorchVersionPy()
    {
        using var temp = new TempFolder();
        var lib = Directory.CreateDirectory(temp.File("torch/lib")).FullName;
        File.WriteAllText(temp.File("torch/version.py"), "from typing import Optional\n\n__version__ = '2.11.0+cu130'\ndebug = False\n");

        var version = LibTorchVersionReader.Read(lib);

        version.Should().Be(("2.11.0+cu130", temp.File("torch/version.py")));
    }

    [Test]
    public void Read_LibTorchZipLayout_ReadsBuildVersion()
    {
        using var temp = new TempFolder();
        var lib = Directory.CreateDirectory(temp.File("libtorch/lib")).FullName;
        File.WriteAllText(temp.File("libtorch/build-version"), "2.10.0+cpu\n");

        LibTorchVersionReader.Read(lib + "/").Should().Be(("2.10.0+cpu", temp.File("libtorch/build-version")));
    }

    [Test]
    public void Read_NuGetLibTorchPackageFolder_ReadsItsNuspec()
    {
        using var temp = new TempFolder();
        var native = Directory.CreateDirectory(temp.File("libtorch-cuda-12.8-linux-x64-part1/2.10.0/runtimes/linux-x64/native")).FullName;
        File.WriteAllText(temp.File("libtorch-cuda-12.8-linux-x64-part1/2.10.0/libtorch-cuda-12.8-linux-x64-part1.nuspec"), """
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>libtorch-cuda-12.8-linux-x64-part1</id>
                <version>2.10.0.1</version>
                <dependencies><dependency id="other" version="9.9.9" /></dependencies>
              </metadata>
            </package>
            """);

        LibTorchVersionReader.Read(native)!.Value.Version.Should().Be("2.10.0.1");
    }

    [Test]
    public void Read_TheRestoredTorchSharpCpuLibTorch_IsItsPackageVersion()
    {
        var packageVersion = Path.GetFileName(Directory.GetDirectories(Path.Combine(TestPaths.NuGetPackageRoot, "libtorch-cpu-linux-x64")).Single());
        var native = Path.Combine(TestPaths.NuGetPackageRoot, "libtorch-cpu-linux-x64", packageVersion, "runtimes", "linux-x64", "native");

        LibTorchVersionReader.Read(native)!.Value.Version.Should().Be(packageVersion);
    }

    [Test]
    public void Read_LibTorchCpuLinkedToAVersionedFile_ReadsTheFileName()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("libtorch_cpu.so.1.13.0"), []);
        File.CreateSymbolicLink(temp.File("libtorch_cpu.so.1.13"), "libtorch_cpu.so.1.13.0");
        File.CreateSymbolicLink(temp.File("libtorch_cpu.so"), "libtorch_cpu.so.1.13");

        LibTorchVersionReader.Read(temp.Path)!.Value.Version.Should().Be("1.13.0");
    }

    [Test]
    public void Read_NothingAroundTheFolderSays_ReturnsNull()
    {
        using var temp = new TempFolder();
        File.WriteAllBytes(temp.File("libtorch_cpu.so"), []);
        File.WriteAllText(temp.File("version.py"), "__version__ = '9.9'\n"); // inside the folder, not beside it

        LibTorchVersionReader.Read(temp.Path).Should().BeNull();
    }

    [TestCase("2.10.0", "2.10", true)]
    [TestCase("2.10.1+cu128", "2.10", true)]
    [TestCase("2.10", "2.10", true)]
    [TestCase("2.1.0", "2.10", false)]
    [TestCase("2.100.0", "2.10", false)]
    [TestCase("2.11.0+cu130", "2.10", false)]
    [TestCase("1.13.0a0", "2.10", false)]
    public void IsRelease_Version_MatchesMajorMinorOnly(string version, string expected, bool result) =>
        LibTorchVersionReader.IsRelease(version, expected).Should().Be(result);
}
