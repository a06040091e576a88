using NeuralNet.Torch.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Activations;

public sealed class BinaryStepTests
{
    [Test]
    public void Module_IsNamedBinaryStep_AndHasNoParametersOrBuffers()
    {
        using var module = new BinaryStep();

        module.GetType().Name.Should().Be("BinaryStep");
        module.GetName().Should().Be("BinaryStep");
        module.parameters().Should().BeEmpty();
        module.buffers().Should().BeEmpty();
        module.state_dict().Should().BeEmpty();
    }

    [Test]
    public void Forward_GivesTheDocumentsStep_WithNaNKept()
    {
        using var module = new BinaryStep();
        using var x = tensor(new[] { -2f, -1e-7f, 0f, 1e-7f, 2f, float.NaN }).reshape(2, 3);

        using var y = module.forward(x);

        y.shape.Should().Equal(2, 3);
        y.data<float>().ToArray().Should().Equal(0f, 0f, 1f, 1f, 1f, float.NaN);
    }

    [Test]
    public void Forward_InsideSequentialWithLinear_BackwardRuns_AndTheLinearGetsZeroGradient()
    {
        manual_seed(11);
        using var net = nn.Sequential(("linear", nn.Linear(3, 2)), ("step", new BinaryStep()));
        using var x = randn(4, 3);

        using var y = net.forward(x);
        using var loss = y.sum();
        loss.backward();

        foreach (var (name, parameter) in net.named_parameters())
        {
            using var grad = parameter.grad;
            grad.Should().NotBeNull(name);
            grad!.abs().max().item<float>().Should().Be(0f, name);
        }
    }
}
