using NeuralNet.Torch.Build;
using NeuralNet.Torch.Native;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Build;

/// <summary>-p:TorchBackend=external end to end: examples/01-QuickStart and the GPU check built without any backend
/// package into a folder of their own, then run on libtorch folders through NEURALNET_LIBTORCH_DIR.</summary>
[Category("Build")]
public sealed class ExternalBackendTests
{
    private TempFolder _artifacts = null!;

    private string QuickStartFolder => Path.Combine(_artifacts.Path, "bin", "QuickStart", ProcessRunner.Configuration.ToLowerInvariant());

    private string GpuCheckDll => Path.Combine(_artifacts.Path, "bin", "NeuralNet.Torch.GpuCheck",
        ProcessRunner.Configuration.ToLowerInvariant(), "NeuralNet.Torch.GpuCheck.dll");

    [OneTimeSetUp]
    public void BuildWithoutABackendPackage()
    {
        _artifacts = new TempFolder();
        // Its own artifacts folder: the backend-less restore must not touch the test build's bin/ and obj/.
        foreach (var project in new[] { "examples/01-QuickStart/QuickStart.csproj", "benchmarks/NeuralNet.Torch.GpuCheck/NeuralNet.Torch.GpuCheck.csproj" })
        {
            var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet",
                ["build", project, "-c", ProcessRunner.Configuration, "-p:TorchBackend=external", "-p:UseArtifactsOutput=true",
                 $"-p:ArtifactsPath={_artifacts.Path}", "--nologo"],
                TestPaths.RepositoryRoot, TimeSpan.FromMinutes(10));
            exitCode.Should().Be(0, stdout + stderr);
        }
    }

    [OneTimeTearDown]
    public void RemoveTheBuild() => _artifacts?.Dispose();

    [Test]
    public void Build_External_CarriesThePatchedGlueAndNoLibTorch()
    {
        var files = Directory.GetFiles(QuickStartFolder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        files.Should().NotContain(f => f!.StartsWith("libtorch", StringComparison.Ordinal) || f.StartsWith("libc10", StringComparison.Ordinal));
        var glue = Path.Combine(QuickStartFolder, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        File.Exists(glue).Should().BeTrue("TorchSharp's glue comes with the TorchSharp package, not the backend");
        ElfVersionPatcher.Patch(File.ReadAllBytes(glue), ["GLIBCXX_3.4.32"]).Should().Be(ElfPatchOutcome.AlreadyWeak,
            "the libstdc++ step runs for external builds too");
    }

    [Test]
    public void QuickStart_External_OnThePackagesLibTorchFolder_PrintsTheDocumentsLines()
    {
        var (exitCode, stdout, stderr) = QuickStart(LibTorchFolders.PackageNative);

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(13);
        lines[0].Should().Be("Using cpu device");
        lines[12].Should().MatchRegex(@"^Predicted class: tensor\(\[[0-9]\]\)$");
    }

    [Test]
    public void QuickStart_External_WithoutTheVariable_PrintsOneErrorLineNamingIt()
    {
        using var emptyCache = new TempFolder();

        // TorchSharp falls back to copying libtorch out of the NuGet cache: an empty one takes that away, as on a server.
        var (exitCode, _, stderr) = QuickStart(null, new Dictionary<string, string?> { ["NUGET_PACKAGES"] = emptyCache.Path });

        exitCode.Should().Be(1);
        stderr.TrimEnd().Split('\n').Should().ContainSingle()
            .Which.Should().StartWith("error: libtorch could not be loaded.").And.Contain("set NEURALNET_LIBTORCH_DIR to an existing libtorch folder");
    }

    [Test]
    public void QuickStart_External_OnDebiansLibTorch113_WarnsWithBothVersionsAndNamesTheVersionedSoname()
    {
        var debian = LibTorchFolders.DebianTorchLib();

        var (exitCode, _, stderr) = QuickStart(debian);

        exitCode.Should().Be(1);
        LibTorchFolders.ErrorAfterThe113Warning(stderr, debian).Should()
            .Contain("libc10.so loaded (libc10.so.1.13").And.Contain("its soname carries a version");
    }

    [Test]
    public void QuickStart_External_OnLibTorch113WithPlainSonames_FailsNamingTheMissingSymbolNotCrashing()
    {
        using var temp = new TempFolder();
        var lib = LibTorchFolders.DebianWithPlainSonames(temp);

        var (exitCode, _, stderr) = QuickStart(lib);

        exitCode.Should().Be(1, "a clear error and exit code 1, not a signal");
        LibTorchFolders.ErrorAfterThe113Warning(stderr, lib).Should()
            .Contain($"built against libtorch {TorchRuntime.ExpectedLibTorchRelease}) could not be linked against that libtorch:")
            .And.Contain("libLibTorchSharp.so: undefined symbol: _Z")
            .And.EndWith("(to link it anyway and find out what runs, set NEURALNET_LIBTORCH_LAZY=1: a call into a missing function then ends the process)");
    }

    [Test]
    public void QuickStart_External_LinkedLazily_SaysSoBeforeLoading()
    {
        using var temp = new TempFolder();
        var lib = LibTorchFolders.DebianWithPlainSonames(temp);

        var (exitCode, _, stderr) = QuickStart(lib, new Dictionary<string, string?> { ["NEURALNET_LIBTORCH_LAZY"] = "1" });

        exitCode.Should().Be(1);
        var lines = stderr.TrimEnd().Split('\n');
        lines.Should().HaveCount(3);
        lines[1].Should().Be($"warning: NeuralNet.Torch: NEURALNET_LIBTORCH_LAZY is set: TorchSharp's native glue is linked to the libtorch in '{lib}' " +
            "lazily; a call into a function that libtorch lacks ends the process with 'symbol lookup error'.");
        lines[2].Should().Contain("undefined symbol: _Z", "1.13 lacks symbols the glue's data refers to, which even lazy linking resolves at load")
            .And.NotContain("NEURALNET_LIBTORCH_LAZY=1", "the hint to link lazily is not repeated when it already is");
    }

    [Test]
    public void GpuCheckDump_External_OnTheFolder_EqualsTheBackendPackageBuildBitForBit()
    {
        var packaged = Path.Combine(TestPaths.RepositoryRoot, "benchmarks", "NeuralNet.Torch.GpuCheck", "bin",
            ProcessRunner.Configuration, "net10.0", "NeuralNet.Torch.GpuCheck.dll");
        var expected = ProcessRunner.Run("dotnet", [packaged, "dump"], TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2));
        var actual = ProcessRunner.Run("dotnet", [GpuCheckDll, "dump"], TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2),
            new Dictionary<string, string?> { [TorchRuntime.LibTorchDirectoryVariable] = LibTorchFolders.PackageNative });

        expected.ExitCode.Should().Be(0, expected.StandardError);
        actual.ExitCode.Should().Be(0, actual.StandardError);
        expected.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(1003, "3 + 1000 predictions");
        actual.StandardOutput.Should().Be(expected.StandardOutput);
    }

    private (int ExitCode, string StandardOutput, string StandardError) QuickStart(
        string? folder, IReadOnlyDictionary<string, string?>? more = null)
    {
        var environment = new Dictionary<string, string?>
        {
            [TorchRuntime.LibTorchDirectoryVariable] = folder,
            [Devices.EnvironmentVariable] = "cpu",
        };
        foreach (var (key, value) in more ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }
        return ProcessRunner.Run("dotnet", [Path.Combine(QuickStartFolder, "QuickStart.dll")], TestPaths.RepositoryRoot,
            TimeSpan.FromMinutes(2), environment);
    }
}
