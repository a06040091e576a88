using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using NeuralNet.Torch.Inference;

namespace NeuralNet.Torch.Tests.Inference;

/// <summary>The packed kernels' SIMD width follows the runtime's switches, so one machine tests every width:
/// <c>.ci/run</c> reruns the inference, prediction and serving tests under <c>DOTNET_EnableAVX512=0</c> (256 bits) and
/// <c>DOTNET_EnableAVX2=0</c> (128 bits, the width of ARM64's NEON).</summary>
public sealed class SimdWidthTests
{
    [Test]
    public void VectorBits_UnderTheRuntimesSwitches_IsTheWidthAsked()
    {
        TestContext.Progress.WriteLine(
            $"packed kernels: {DenseKernels.VectorBits} bits (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated})");
        if (Switch("DOTNET_EnableAVX2") == "0" || Switch("DOTNET_EnableAVX") == "0")
        {
            DenseKernels.VectorBits.Should().Be(128, "AVX2 is switched off");
        }
        else if (Switch("DOTNET_EnableAVX512") == "0" || Switch("DOTNET_PreferredVectorBitWidth") == "256")
        {
            DenseKernels.VectorBits.Should().Be(Avx2.IsSupported ? 256 : 128, "AVX-512 is switched off");
        }
        else
        {
            Assert.Ignore($"No SIMD switch is set: the kernels run at this CPU's {DenseKernels.VectorBits} bits.");
        }
        DenseKernels.Lanes.Should().Be(DenseKernels.VectorBits / 32);
    }

    private static string? Switch(string name) => Environment.GetEnvironmentVariable(name);
}
