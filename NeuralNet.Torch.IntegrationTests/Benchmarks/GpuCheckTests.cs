using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Benchmarks;

/// <summary>The GPU check's orchestrator (benchmarks/NeuralNet.Torch.GpuCheck) on this machine: each check in a child
/// process, the report written after each. Its full run belongs to benchmarks/gpu-check.sh, not to the tests.</summary>
public sealed class GpuCheckTests
{
    private static string GpuCheckDll => Path.Combine(TestPaths.RepositoryRoot, "benchmarks", "NeuralNet.Torch.GpuCheck", "bin",
        ProcessRunner.Configuration, "net10.0", "NeuralNet.Torch.GpuCheck.dll");

    [Test]
    public void SymbolsCheck_TheGluesOwnRelease_FindsEveryLibTorchSymbol()
    {
        var (exitCode, stdout, stderr) = Symbols(LibTorchFolders.PackageNative);

        exitCode.Should().Be(0, stderr);
        stdout.Should().Contain("number: missing = 0\n").And.Contain("status: PASS\n")
            .And.MatchRegex(@"number: glue_libtorch_symbols = [1-9][0-9]{2,}\n");
    }

    [Test]
    public void SymbolsCheck_LibTorch113_CountsAndNamesTheMissingOnes()
    {
        using var temp = new TempFolder();
        var lib = LibTorchFolders.DebianWithPlainSonames(temp);

        var (exitCode, stdout, stderr) = Symbols(lib);

        exitCode.Should().Be(0, stderr);
        var missing = int.Parse(stdout.Split('\n').Single(l => l.StartsWith("number: missing = ", StringComparison.Ordinal))["number: missing = ".Length..]);
        missing.Should().BePositive();
        stdout.Split('\n').Count(l => l.StartsWith("info: missing_symbol = _Z", StringComparison.Ordinal)).Should().Be(Math.Min(missing, 20));
        stdout.Should().Contain("status: FAIL\n").And.Contain($"detail: {missing} of the ");
    }

    [Test]
    public void Orchestrator_ACheckDiesOfASegfault_TheReportKeepsItsNumbersAndTheOtherChecks()
    {
        using var temp = new TempFolder();
        var report = temp.File("report.md");
        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet", [GpuCheckDll, "--checks", "runtime,crash,checkpoint", "--report", report],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(3));

        exitCode.Should().Be(1, stdout + stderr);
        var rows = File.ReadAllLines(report).Where(l => l.StartsWith("| ", StringComparison.Ordinal)).ToList();
        var cuda = Devices.IsCudaAvailable;
        rows.Should().Contain($"| result | {(cuda ? 2 : 1)} passed, 1 failed, {(cuda ? 0 : 1)} skipped |");
        rows.Should().ContainSingle(r => r.StartsWith("| runtime: ", StringComparison.Ordinal))
            .Which.Should().Contain("| PASS | libtorch loaded;").And.Contain("libtorch_version = 2.10.0");
        rows.Should().Contain("| crash: a check that crashes (isolation test) | FAIL | no result: killed by signal 11 (exit code 139) | before_crash = 1 |");
        rows.Should().ContainSingle(r => r.StartsWith("| checkpoint: ", StringComparison.Ordinal))
            .Which.Should().Contain(cuda ? "| PASS |" : "| SKIP | CUDA not available; CPU half: saved from CPU tensors as .pth and .safetensors, loaded on the CPU: all 6 tensors bit-exact |");
    }

    private static (int ExitCode, string StandardOutput, string StandardError) Symbols(string folder) =>
        ProcessRunner.Run("dotnet", [GpuCheckDll, "check", "symbols"], TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2),
            new Dictionary<string, string?> { ["NEURALNET_LIBTORCH_DIR"] = folder });
}
