using System.Text.RegularExpressions;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class LayersExampleTests
{
    // One printed value with the sign column: " 0.4158" or "-0.0130".
    private const string Signed = @"[ -][0-9]\.[0-9]{4}";
    private const string Unsigned = @"[0-9]\.[0-9]{4}";

    [Test]
    public void Layers_PrintsTheTutorialsSizesAndTensors()
    {
        // Seeded: with unlucky random values (about one run in ten) a value below 1e-4 switches PyTorch's printing
        // to scientific notation, which this layout check does not expect. Seed 0 prints in fixed notation.
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("02-Layers", "Layers", ["--seed", "0"]);

        exitCode.Should().Be(0, stderr);
        var text = stdout.ReplaceLineEndings("\n");
        text.Should().StartWith("torch.Size([3, 28, 28])\ntorch.Size([3, 784])\ntorch.Size([3, 20])\n");

        // 3 rows of 20 values: 8 + 8 + 4 per row at 80 columns with the sign column, continuation rows aligned
        // after "tensor(" (9 spaces on rows of a 2-D tensor).
        var signedRow = $@"(?:{Signed}, ){{7}}{Signed},\n {{9}}(?:{Signed}, ){{7}}{Signed},\n {{9}}(?:{Signed}, ){{3}}{Signed}\]";
        Regex.IsMatch(text, $@"\nBefore ReLU: tensor\(\[\[{signedRow},\n {{8}}\[{signedRow},\n {{8}}\[{signedRow}\], grad_fn=<AddmmBackward0>\)\n\n\n")
            .Should().BeTrue(text);
        // After ReLU nothing is negative: no sign column, so 9 + 9 + 2 values per row.
        var plainRow = $@"(?:{Unsigned}, ){{8}}{Unsigned},\n {{9}}(?:{Unsigned}, ){{8}}{Unsigned},\n {{9}}{Unsigned}, {Unsigned}\]";
        Regex.IsMatch(text, $@"\nAfter ReLU: tensor\(\[\[{plainRow},\n {{8}}\[{plainRow},\n {{8}}\[{plainRow}\], grad_fn=<ReluBackward0>\)\n")
            .Should().BeTrue(text);
        text.Should().Contain("""
            seq_modules: Sequential(
              (0): Flatten(start_dim=1, end_dim=-1)
              (1): Linear(in_features=784, out_features=20, bias=True)
              (2): ReLU()
              (3): Linear(in_features=20, out_features=10, bias=True)
            )
            pred_probab: tensor([[
            """);
        text.Should().EndWith("]], grad_fn=<SoftmaxBackward0>)\n");
    }

    [Test]
    public void Layers_Seeded_PrintsTheSameTextTwice_AndRefusesOtherArguments()
    {
        var first = ProcessRunner.RunExample("02-Layers", "Layers", ["--seed", "7"]);
        var second = ProcessRunner.RunExample("02-Layers", "Layers", ["--seed", "7"]);
        var bad = ProcessRunner.RunExample("02-Layers", "Layers", ["--bogus"]);

        second.StandardOutput.Should().Be(first.StandardOutput);
        bad.ExitCode.Should().NotBe(0);
        bad.StandardError.TrimEnd().Should().Be("error: expected no arguments or '--seed N' (usage: Layers [--seed N])");
    }
}
