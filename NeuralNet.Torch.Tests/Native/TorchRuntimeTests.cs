using NeuralNet.Torch.Native;
using NeuralNet.Torch.Tests.TestSupport;
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

    [Test]
    public void LibTorch_FromTheTestsBackendPackage_HasNoFolderAndTheGluesRelease()
    {
        TorchRuntime.LibTorchDirectory.Should().BeNull("the test host loads TorchSharp-cpu's libtorch, not a folder");
        TorchRuntime.LibTorchVersion.Should().StartWith(TorchRuntime.ExpectedLibTorchRelease + ".");
    }

    [Test]
    public void UseLibTorch_AfterLibTorchWasLoaded_SaysItIsTooLate()
    {
        TorchRuntime.Initialize();
        using var temp = new TempFolder();

        var act = () => TorchRuntime.UseLibTorch(temp.Path);

        act.Should().Throw<InvalidOperationException>()
            .WithMessage("libtorch is already initialised (from the TorchSharp backend package): call TorchRuntime.UseLibTorch before the first torch call.");
    }

    [TestCase("")]
    [TestCase("  ")]
    public void UseLibTorch_BlankFolder_Throws(string directory) =>
        FluentActions.Invoking(() => TorchRuntime.UseLibTorch(directory)).Should().Throw<ArgumentException>();
}
