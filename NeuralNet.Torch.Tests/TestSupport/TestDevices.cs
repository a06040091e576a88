using TorchSharp;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>The one source of devices for device-dependent tests: the CPU always, CUDA when this process can use it.
/// Where CUDA is absent its cases are ignored with a reason, so they show as skipped, never as silently passed.</summary>
internal static class TestDevices
{
    /// <summary>NUnit test cases, one per device name: <c>cpu</c>, <c>cuda</c>.</summary>
    public static IEnumerable<TestCaseData> All()
    {
        yield return new TestCaseData("cpu").SetArgDisplayNames("cpu");
        var cuda = new TestCaseData("cuda").SetArgDisplayNames("cuda");
        yield return Devices.IsCudaAvailable
            ? cuda
            : cuda.Ignore("CUDA is not available here (needs -p:TorchBackend=cuda-linux or cuda-windows and an NVIDIA GPU).");
    }

    /// <summary>The device for a case name from <see cref="All"/>.</summary>
    public static torch.Device Get(string name) => Devices.Resolve(name);
}
