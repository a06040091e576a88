using System.Text.RegularExpressions;
using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Examples;

public sealed class ParametersExampleTests
{
    private const string Value = @"[ -][0-9]\.[0-9]{4}";

    [Test]
    public void Parameters_PrintsTheDocumentsStructureAndOneEntryPerParameter()
    {
        // Seeded: unseeded weights print in scientific notation in about one run in ten (a shown value below 1e-4),
        // which the value patterns below do not expect. Seed 0 prints in fixed notation.
        var (exitCode, stdout, stderr) = ProcessRunner.RunExample("03-Parameters", "Parameters", ["--seed", "0"],
            environment: new Dictionary<string, string?> { [Devices.EnvironmentVariable] = "cpu" });

        exitCode.Should().Be(0, stderr);
        var text = stdout.ReplaceLineEndings("\n");
        text.Should().StartWith("""
            Model structure:  NeuralNetwork(
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



            """.ReplaceLineEndings("\n"));
        var entries = text[text.IndexOf("Layer: ", StringComparison.Ordinal)..].Split(" \n\n");
        entries[^1].Should().BeEmpty("every entry ends with the f-string's ' \\n' and print's '\\n'");
        entries[..^1].Select(e => e[..e.IndexOf(" | Values", StringComparison.Ordinal)]).Should().Equal(
            "Layer: linear_relu_stack.0.weight | Size: torch.Size([512, 784])",
            "Layer: linear_relu_stack.0.bias | Size: torch.Size([512])",
            "Layer: linear_relu_stack.2.weight | Size: torch.Size([512, 512])",
            "Layer: linear_relu_stack.2.bias | Size: torch.Size([512])",
            "Layer: linear_relu_stack.4.weight | Size: torch.Size([10, 512])",
            "Layer: linear_relu_stack.4.bias | Size: torch.Size([10])");
        var weightRow = $@"\[{Value}, {Value}, {Value},  \.\.\., {Value}, {Value}, {Value}\]";
        entries[0].Should().MatchRegex($@"\| Values : tensor\(\[{weightRow},\n {{8}}{weightRow}\],\n {{7}}grad_fn=<SliceBackward0>\)$");
        // Two bias values: with a sign column only when one of them is negative.
        entries[1].Should().MatchRegex(
            @"\| Values : tensor\(\[([0-9]\.[0-9]{4}, [0-9]\.[0-9]{4}|(?=[^\]]*-)[ -][0-9]\.[0-9]{4}, [ -][0-9]\.[0-9]{4})\], grad_fn=<SliceBackward0>\)$");
    }
}
