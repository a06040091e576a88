using TorchSharp;

namespace NeuralNet.Torch.Tests;

[NonParallelizable]
public sealed class DevicesTests
{
    private string? _saved;

    [SetUp]
    public void SaveEnvironment() => _saved = Environment.GetEnvironmentVariable(Devices.EnvironmentVariable);

    [TearDown]
    public void RestoreEnvironment() => Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, _saved);

    [Test]
    public void Resolve_NoRequestNoVariable_IsCudaIfAvailableElseCpu()
    {
        Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, null);

        var device = Devices.Resolve();

        device.type.Should().Be(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU);
        Devices.IsCudaAvailable.Should().Be(torch.cuda.is_available());
    }

    [TestCase("cpu")]
    [TestCase("CPU")]
    [TestCase(" cpu ")]
    public void Resolve_Cpu_IsCpu(string requested)
    {
        Devices.Resolve(requested).type.Should().Be(DeviceType.CPU);
    }

    [Test]
    public void Resolve_EnvironmentVariable_OverridesAuto_AndTheArgumentOverridesIt()
    {
        Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, "cpu");
        Devices.Resolve().type.Should().Be(DeviceType.CPU);

        Environment.SetEnvironmentVariable(Devices.EnvironmentVariable, "gpu");
        Devices.Resolve("cpu").type.Should().Be(DeviceType.CPU);
        var act = () => Devices.Resolve();
        act.Should().Throw<ArgumentException>().WithMessage("Unknown device 'gpu' (environment variable NEURALNET_DEVICE): expected 'cpu', 'cuda', 'cuda:N' or 'auto'.*");
    }

    [TestCase("tpu")]
    [TestCase("cuda:")]
    [TestCase("cuda:x")]
    [TestCase("cuda:-1")]
    [TestCase("cudax")]
    public void Resolve_UnknownText_ThrowsArgumentExceptionNamingTheForms(string requested)
    {
        var act = () => Devices.Resolve(requested);

        act.Should().Throw<ArgumentException>().WithMessage($"Unknown device '{requested}' (argument): expected 'cpu', 'cuda', 'cuda:N' or 'auto'.*");
    }

    [TestCase("cuda")]
    [TestCase("cuda:1")]
    public void Resolve_CudaWithoutCuda_ThrowsAClearInvalidOperationException(string requested)
    {
        if (Devices.IsCudaAvailable)
        {
            Assert.Ignore("CUDA is available here; this test checks the message where it is absent.");
        }

        var act = () => Devices.Resolve(requested);

        act.Should().Throw<InvalidOperationException>()
            .WithMessage($"Device '{requested}' was requested (argument), but CUDA is not available in this process*TorchSharp-cuda-linux*'cpu'*");
    }

    [Test]
    public void Resolve_CudaIndexBeyondTheDevices_Throws()
    {
        if (!Devices.IsCudaAvailable)
        {
            Assert.Ignore("Needs CUDA (a TorchSharp-cuda-* backend and an NVIDIA GPU); CUDA is not available here.");
        }

        var act = () => Devices.Resolve($"cuda:{torch.cuda.device_count()}");

        act.Should().Throw<InvalidOperationException>().WithMessage("*only * CUDA device(s) exist*");
    }

    [Test]
    public void Describe_GivesTheDocumentsNames()
    {
        Devices.Describe(torch.CPU).Should().Be("cpu");
        Devices.Describe(new torch.Device(DeviceType.CUDA, 0)).Should().Be("cuda");
        Devices.Describe(new torch.Device(DeviceType.CUDA)).Should().Be("cuda");
        Devices.Describe(new torch.Device(DeviceType.CUDA, 1)).Should().Be("cuda:1");
    }
}
