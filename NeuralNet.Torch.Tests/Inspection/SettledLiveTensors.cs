using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Inspection;

/// <summary>A live-tensor baseline that finalizers of earlier tests' garbage cannot move afterwards.</summary>
internal static class SettledLiveTensors
{
    /// <summary>Finalizes unreachable tensors left by earlier code, then returns <see cref="LiveTensors.Count"/>.
    /// Take it before the code under test runs; read <see cref="LiveTensors.Count"/> afterwards without collecting,
    /// so that a tensor the code under test leaks is still counted.</summary>
    public static long Count()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return LiveTensors.Count;
    }
}
