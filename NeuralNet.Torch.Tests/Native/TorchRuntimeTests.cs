using NeuralNet.Torch.Native;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Native;

public sealed class TorchRuntimeTests
{
    [Test]
    public void EnsureInitialized_InTheTestHost_LoadsLibTorchAndComputes()
    {
        TorchRuntime.EnsureInitialized("x").Should().Be("x");

        using var a = torch.tensor(new float[] { 1, 2, 3 });
        using var sum = a.sum();
        sum.item<float>().Should().Be(6f);
        TorchRuntime.IsCudaAvailable.Should().Be(torch.cuda.is_available());
    }
}
