using System.Text.Json;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Build;

/// <summary>The one MSBuild property that picks the libtorch backend, checked by evaluating a real project: only the
/// CPU packages restore on these machines, so the CUDA choices are verified at evaluation, not by a restore.</summary>
[Category("Build")]
public sealed class BackendSelectionTests
{
    private static string QuickStartProject => Path.Combine(TestPaths.RepositoryRoot, "examples", "01-QuickStart", "QuickStart.csproj");

    [TestCase(null, "TorchSharp-cpu")]
    [TestCase("cpu", "TorchSharp-cpu")]
    [TestCase("cuda-linux", "TorchSharp-cuda-linux")]
    [TestCase("cuda-windows", "TorchSharp-cuda-windows")]
    public void TorchBackend_Value_ReferencesExactlyThatBackendPackage(string? backend, string package)
    {
        var arguments = new List<string> { "msbuild", QuickStartProject, "-getItem:PackageReference", "-getProperty:NeuralNetTorchLibStdCxxFix" };
        if (backend is not null)
        {
            arguments.Add($"-p:TorchBackend={backend}");
        }

        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", arguments, TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var references = json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString()).ToArray();
        references.Where(r => r!.StartsWith("TorchSharp", StringComparison.Ordinal)).Should().Equal(package);
        json.RootElement.GetProperty("Properties").GetProperty("NeuralNetTorchLibStdCxxFix").GetString().Should().Be("true");
    }

    [Test]
    public void TorchBackend_External_ReferencesNoBackendPackageAndKeepsTheLibStdCxxStep()
    {
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet",
            ["msbuild", QuickStartProject, "-getItem:PackageReference", "-getProperty:NeuralNetTorchLibStdCxxFix", "-p:TorchBackend=external"],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var items = json.RootElement.GetProperty("Items");
        var references = items.TryGetProperty("PackageReference", out var list)
            ? list.EnumerateArray().Select(i => i.GetProperty("Identity").GetString()).ToArray()
            : [];
        references.Should().NotContain(r => r!.StartsWith("TorchSharp", StringComparison.Ordinal));
        json.RootElement.GetProperty("Properties").GetProperty("NeuralNetTorchLibStdCxxFix").GetString().Should().Be("true");
    }

    [Test]
    public void TorchBackend_UnknownValue_StopsTheBuildNamingTheValidValues()
    {
        var (exitCode, stdout, _) = ProcessRunner.Run("dotnet",
            ["msbuild", QuickStartProject, "-t:_NeuralNetTorchCheckBackend", "-p:TorchBackend=rocm"],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));

        exitCode.Should().NotBe(0);
        stdout.Should().Contain("error : TorchBackend 'rocm' is not known: expected cpu, cuda-linux, cuda-windows or external.");
    }
}
