using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class QuickStartTests
{
    [Test]
    public void QuickStart_OnCpu_PrintsTheDocumentsLines()
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("01-QuickStart", "QuickStart",
            environment: new Dictionary<string, string?> { [Devices.EnvironmentVariable] = "cpu" });

        exitCode.Should().Be(0, stderr);
        stderr.Should().BeEmpty();
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(13);
        lines[0].Should().Be("Using cpu device");
        string.Join('\n', lines[1..12]).Should().Be("""
            NeuralNetwork(
              (flatten): Flatten(start_dim=1, end_dim=-1)
              (linear_relu_stack): Sequential(
                (0): Linear(in_features=784, out_features=512, bias=True)
                (1): ReLU()
                (2): Linear(in_features=512, out_features=512, bias=True)
                (3): ReLU()
                (4): Linear(in_features=512, out_features=10, bias=True)
                (5): ReLU()
              )
            )
            """);
        lines[12].Should().MatchRegex(@"^Predicted class: tensor\(\[[0-9]\]\)$");
    }

    [Test]
    public void QuickStart_AskedForCudaWhereThereIsNone_PrintsOneClearErrorLine()
    {
        if (Devices.IsCudaAvailable)
        {
            Assert.Ignore("CUDA is available here; this test checks the error where it is absent.");
        }

        var (exitCode, _, stderr) = ProcessRunner.RunExample("01-QuickStart", "QuickStart",
            environment: new Dictionary<string, string?> { [Devices.EnvironmentVariable] = "cuda" });

        exitCode.Should().NotBe(0);
        stderr.Should().StartWith("error: Device 'cuda' was requested (environment variable NEURALNET_DEVICE), but CUDA is not available");
        stderr.Should().NotContain("   at ", "a user mistake gets a message, not a stack trace");
    }
}
