using System.Buffers.Binary;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class ActivationsExampleTests
{
    [Test]
    public void Activations_PrintsTheTableAndTheNeuron_AndWritesAValidPng()
    {
        using var temp = new TempFolder();
        var folder = temp.Path;
        var outDir = Path.Combine(folder, "plots");

        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("04-Activations", "Activations", ["--out", outDir]);

        exitCode.Should().Be(0, stderr);
        var lines = stdout.ReplaceLineEndings("\n").Split('\n');
        // Values: sigmoid(-2) = 0.119203, tanh(-2) = -0.964028, sigmoid(0.5) = 0.622459, tanh(0.5) = 0.462117.
        lines.Should().Contain(" -2.0000 |     0.0000 |     0.1192 |    -0.9640 |     0.0000");
        lines.Should().Contain("  0.0000 |     1.0000 |     0.5000 |     0.0000 |     0.0000", "the binary step gives f(0) = 1");
        lines.Should().Contain("  2.0000 |     1.0000 |     0.8808 |     0.9640 |     2.0000");
        // 0.5*1 - 0.25*2 + 0.1*3 + 0.2 = 0.5
        lines.Should().Contain("  sum(w * x) + b = 0.5*1.0 + -0.25*2.0 + 0.1*3.0 + 0.2 = 0.5000");
        lines.Should().Contain("  Sigmoid    output = f(0.5000) = 0.6225");
        lines.Should().Contain("  Tanh       output = f(0.5000) = 0.4621");
        var png = Path.Combine(outDir, "activations.png");
        lines.Should().Contain($"plot written to {png}");
        var bytes = File.ReadAllBytes(png);
        bytes.Take(8).Should().Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a });
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).Should().Be("IHDR");
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)).Should().Be(800);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)).Should().Be(500);
    }

    [Test]
    public void Activations_UnknownArgument_PrintsOneErrorLine()
    {
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("04-Activations", "Activations", ["--bogus"]);

        exitCode.Should().NotBe(0);
        stdout.Should().BeEmpty();
        stderr.TrimEnd().Should().Be("error: unknown argument '--bogus' (usage: Activations [--out DIR])");
    }
}
