using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

/// <summary>Start-up failures of the PredictionService example, tried as a new user would, through the real process:
/// each prints one line <c>error: ...</c> on stderr naming the setting (and where it comes from) and the problem, and
/// the exit code is 1.</summary>
[NonParallelizable]
public sealed class PredictionServiceStartupTests
{
    private static IEnumerable<TestCaseData> Failures()
    {
        yield return new TestCaseData(new[] { "--weights", "/no/such.pth" }, null,
            new[] { "error: WeightsPath '/no/such.pth' does not exist or is not a file. [--weights or Predictor__WeightsPath]" })
            .SetArgDisplayNames("missing weights");
        yield return new TestCaseData(new[] { "--model", "/no/such.pt" }, null, new[]
        {
            "error: ModelPath '/no/such.pt' does not exist or is not a file. [--model or Predictor__ModelPath]",
            "error: InputShape is required with ModelPath: a TorchScript model does not declare what it takes (one sample's shape, e.g. 1,28,28). [--input-shape or Predictor__InputShape]",
        }).SetArgDisplayNames("missing model, no input shape");
        yield return new TestCaseData(new[] { "--input-shape", "1,x,28" }, null,
            new[] { "error: InputShape: must be sizes of at least 1 separated by commas, e.g. 1,28,28; found '1,x,28'. [--input-shape or Predictor__InputShape]" })
            .SetArgDisplayNames("unreadable input shape");
        yield return new TestCaseData(new[] { "--variant", "large" }, null,
            new[] { "error: Variant: must be documented or quickstart; found 'large'. [--variant or Predictor__Variant]" })
            .SetArgDisplayNames("unknown variant");
        yield return new TestCaseData(Array.Empty<string>(), new Dictionary<string, string?> { ["Predictor__Engine"] = "Fast" },
            new[] { "error: Failed to convert configuration value 'Fast' at 'Predictor:Engine' to type 'NeuralNet.Torch.Serving.PredictionEngine'." })
            .SetArgDisplayNames("unknown engine");
        yield return new TestCaseData(Array.Empty<string>(), new Dictionary<string, string?> { ["Predictor__MaxBatchSize"] = "0" },
            new[] { "error: MaxBatchSize must be between 1 and 4096; found 0." })
            .SetArgDisplayNames("batch size 0");
        yield return new TestCaseData(new[] { "--input-shape", "3,28,28" }, null, new[]
        {
            "error: InputShape: Invalid predictor options: the model does not take InputShape [3, 28, 28] (Float32; a batch of one is [1, 3, 28, 28]): " +
            "mat1 and mat2 shapes cannot be multiplied (1x2352 and 784x512) [--input-shape or Predictor__InputShape]",
        }).SetArgDisplayNames("an input shape the model refuses");
    }

    [TestCaseSource(nameof(Failures))]
    public void Start_WithASettingThatIsWrong_PrintsOneLinePerProblemNamingTheSetting_AndExits1(
        string[] arguments, Dictionary<string, string?>? environment, string[] lines)
    {
        var (exitCode, _, stderr) = ProcessRunner.Run("dotnet", [PredictionServiceProcess.Dll, "--urls", "http://127.0.0.1:0", .. arguments],
            TestPaths.RepositoryRoot, TimeSpan.FromMinutes(1), environment);

        exitCode.Should().Be(1);
        ErrorLines(stderr).Should().Equal(lines);
    }

    [Test]
    public void Start_WithARelativeWeightsPath_ResolvesItAgainstTheCurrentDirectory()
    {
        using var temp = new TempFolder();

        var (exitCode, _, stderr) = ProcessRunner.Run("dotnet", [PredictionServiceProcess.Dll, "--urls", "http://127.0.0.1:0", "--weights", "weights/model.pth"],
            temp.Path, TimeSpan.FromMinutes(1));

        exitCode.Should().Be(1);
        ErrorLines(stderr).Should().Equal(
            $"error: WeightsPath '{Path.Combine(temp.Path, "weights", "model.pth")}' does not exist or is not a file. [--weights or Predictor__WeightsPath]");
    }

    [Test]
    public void DotnetRun_WithARelativeWeightsPath_ResolvesItAgainstTheFolderItIsRunFrom()
    {
        // The user's command, from a folder of their own: dotnet run would otherwise start the service in the
        // project's folder, and a relative path would name a file there.
        using var temp = new TempFolder();
        var project = Path.Combine(TestPaths.RepositoryRoot, "examples", "08-PredictionService");

        var (exitCode, stdout, stderr) = ProcessRunner.Run("dotnet",
            ["run", "--project", project, "--no-build", "-c", ProcessRunner.Configuration, "--", "--urls", "http://127.0.0.1:0", "--weights", "model.pth"],
            temp.Path, TimeSpan.FromMinutes(2));

        exitCode.Should().Be(1, stdout + stderr);
        ErrorLines(stderr).Should().Equal(
            $"error: WeightsPath '{Path.Combine(temp.Path, "model.pth")}' does not exist or is not a file. [--weights or Predictor__WeightsPath]");
    }

    private static string[] ErrorLines(string stderr) =>
        stderr.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();
}
