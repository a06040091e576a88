using System.Runtime.InteropServices;
using System.Text.Json;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Build;

/// <summary>The one MSBuild property that picks the libtorch backend, checked by evaluating a real project: only the
/// CPU packages restore on these machines, so the CUDA choices (and the other platforms' CPU packages) are verified at
/// evaluation, not by a restore.</summary>
[Category("Build")]
public sealed class BackendSelectionTests
{
    private static string QuickStartProject => Path.Combine(TestPaths.RepositoryRoot, "examples", "01-QuickStart", "QuickStart.csproj");

    // The default restores one platform's libtorch: the one of the .NET that builds (and runs) the project.
    private static string HostCpuPackage =>
        "libtorch-cpu-" + (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" +
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    [TestCase(null, null)]
    [TestCase("cpu", null)]
    [TestCase("cpu-all", "TorchSharp-cpu")]
    [TestCase("cuda-linux", "TorchSharp-cuda-linux")]
    [TestCase("cuda-windows", "TorchSharp-cuda-windows")]
    public void TorchBackend_Value_ReferencesExactlyThatBackendPackage(string? backend, string? package)
    {
        var (references, libStdCxxFix) = Evaluate(backend is null ? [] : [$"-p:TorchBackend={backend}"]);

        references.Should().Equal(package ?? HostCpuPackage);
        libStdCxxFix.Should().Be("true");
    }

    [TestCase("linux-x64")]
    [TestCase("win-x64")]
    [TestCase("osx-arm64")]
    public void TorchBackend_CpuWithARuntimeIdentifier_ReferencesThatPlatformsLibTorch(string rid)
    {
        var (references, _) = Evaluate([$"-p:RuntimeIdentifier={rid}"]);

        references.Should().Equal($"libtorch-cpu-{rid}");
    }

    [Test]
    public void TorchBackend_CpuForAPlatformWithoutLibTorch_StopsTheBuildNamingThePlatforms()
    {
        var (exitCode, stdout, _) = ProcessRunner.Run("dotnet",
            ["msbuild", QuickStartProject, "-t:_NeuralNetTorchCheckBackend", "-p:RuntimeIdentifier=linux-arm64"],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().NotBe(0);
        stdout.Should().Contain("error : TorchBackend 'cpu' has no libtorch package for 'linux-arm64': TorchSharp's CPU packages are " +
            "for linux-x64, win-x64 and osx-arm64.");
    }

    [Test]
    public void TorchBackend_External_ReferencesNoBackendPackageAndKeepsTheLibStdCxxStep()
    {
        var (references, libStdCxxFix) = Evaluate(["-p:TorchBackend=external"]);

        references.Should().BeEmpty();
        libStdCxxFix.Should().Be("true");
    }

    [Test]
    public void TorchBackend_UnknownValue_StopsTheBuildNamingTheValidValues()
    {
        var (exitCode, stdout, _) = ProcessRunner.Run("dotnet",
            ["msbuild", QuickStartProject, "-t:_NeuralNetTorchCheckBackend", "-p:TorchBackend=rocm"],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().NotBe(0);
        stdout.Should().Contain("error : TorchBackend 'rocm' is not known: expected cpu, cpu-all, cuda-linux, cuda-windows or external.");
    }

    private static bool IsBackendPackage(string id) =>
        id.StartsWith("TorchSharp", StringComparison.Ordinal) || id.StartsWith("libtorch", StringComparison.Ordinal);

    // The backend packages QuickStart references (TorchSharp itself comes through NeuralNet.Torch) and whether the
    // libstdc++ step is on.
    private static (string[] BackendPackages, string? LibStdCxxFix) Evaluate(IEnumerable<string> properties)
    {
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet",
            ["msbuild", QuickStartProject, "-getItem:PackageReference", "-getProperty:NeuralNetTorchLibStdCxxFix", .. properties],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var references = json.RootElement.GetProperty("Items").TryGetProperty("PackageReference", out var list)
            ? list.EnumerateArray().Select(i => i.GetProperty("Identity").GetString()!).Where(IsBackendPackage).ToArray()
            : [];
        return (references, json.RootElement.GetProperty("Properties").GetProperty("NeuralNetTorchLibStdCxxFix").GetString());
    }
}
