using NeuralNet.Torch.Native;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Native;

/// <summary>NEURALNET_LIBTORCH_DIR in a child process (it must act before the first torch call, and this test host has
/// long loaded libtorch): examples/01-QuickStart as the test project builds it, with TorchSharp-cpu in its output.</summary>
public sealed class LibTorchDirectoryTests
{
    [Test]
    public void QuickStart_OnThePackagesOwnLibTorchFolder_PrintsTheDocumentsLinesWithoutAWarning()
    {
        var carried = Path.Combine(TestPaths.RepositoryRoot, "examples", "01-QuickStart", "bin", ProcessRunner.Configuration,
            "net10.0", "runtimes", "linux-x64", "native", "libtorch_cpu.so");
        if (!SameFile(carried, Path.Combine(LibTorchFolders.PackageNative, "libtorch_cpu.so")))
        {
            Assert.Ignore("The example's libtorch is a copy here, not a hard link to the package's, so the folder is refused as a " +
                "second libtorch (that refusal is tested below); the external build's tests run the folder for real.");
        }

        var (exitCode, stdout, stderr) = QuickStart(LibTorchFolders.PackageNative);

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty("a 2.10 libtorch needs no warning");
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(13);
        lines[0].Should().Be("Using cpu device");
        lines[1].Should().Be("NeuralNetwork(");
        lines[12].Should().MatchRegex(@"^Predicted class: tensor\(\[[0-9]\]\)$");
    }

    [Test]
    public void QuickStart_FolderWithoutLibTorch_PrintsOneErrorLineNamingTheFolder()
    {
        using var temp = new TempFolder();

        var (exitCode, stdout, stderr) = QuickStart(temp.Path);

        exitCode.Should().Be(1);
        stdout.Should().BeEmpty();
        stderr.Should().Be($"error: NEURALNET_LIBTORCH_DIR is '{temp.Path}', but there is no libtorch.so in it: expected a folder holding " +
            "libtorch.so, libtorch_cpu.so and libc10.so (a PyTorch wheel's torch/lib, libtorch/lib of a libtorch zip, or a NuGet " +
            $"libtorch package's runtimes/linux-x64/native).{Environment.NewLine}");
    }

    [Test]
    public void QuickStart_FolderThatDoesNotExist_PrintsOneErrorLineNamingTheFolder()
    {
        using var temp = new TempFolder();
        var missing = temp.File("torch/lib");

        var (exitCode, _, stderr) = QuickStart(missing);

        exitCode.Should().Be(1);
        stderr.Should().StartWith($"error: NEURALNET_LIBTORCH_DIR is '{missing}', but that folder does not exist:");
        stderr.TrimEnd().Split('\n').Should().ContainSingle();
    }

    [Test]
    public void QuickStart_CudaAskedOfACpuOnlyLibTorch_SaysTheFolderHasNoLibTorchCuda()
    {
        var (exitCode, _, stderr) = QuickStart(LibTorchFolders.PackageNative, device: "cuda");

        exitCode.Should().Be(1);
        stderr.Should().Be("error: Device 'cuda' was requested (environment variable NEURALNET_DEVICE), but CUDA is not available in this " +
            $"process: the libtorch in '{LibTorchFolders.PackageNative}' (NEURALNET_LIBTORCH_DIR) is CPU-only: it has no libtorch_cuda.so; " +
            $"or ask for 'cpu'.{Environment.NewLine}");
    }

    [Test]
    public void QuickStart_AnotherLibTorchThanTheOneItCarries_IsRefusedBeforeTwoCopiesMeet()
    {
        var debian = LibTorchFolders.DebianTorchLib();

        var (exitCode, _, stderr) = QuickStart(debian);

        exitCode.Should().Be(1);
        LibTorchFolders.ErrorAfterThe113Warning(stderr, debian).Should()
            .Contain("the application also carries libtorch of its own (")
            .And.Contain("01-QuickStart/bin/").And.Contain("-p:TorchBackend=external");
    }

    private static (int ExitCode, string StandardOutput, string StandardError) QuickStart(string folder, string device = "cpu") =>
        ProcessRunner.RunExample("01-QuickStart", "QuickStart", environment: new Dictionary<string, string?>
        {
            [TorchRuntime.LibTorchDirectoryVariable] = folder,
            [Devices.EnvironmentVariable] = device,
        });

    // Same device and inode: a hard link, which the dynamic loader treats as the library it already has.
    private static bool SameFile(string a, string b)
    {
        var (exitCode, stdout, _) = ProcessRunner.Run("stat", ["-L", "-c", "%d:%i", a, b], TestPaths.RepositoryRoot, TimeSpan.FromMinutes(1));
        var ids = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return exitCode == 0 && ids.Length == 2 && ids[0] == ids[1];
    }
}
