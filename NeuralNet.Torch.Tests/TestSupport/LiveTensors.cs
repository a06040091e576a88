using TorchSharp;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Counts live native tensors (TorchSharp's process-wide count of undisposed Tensor objects).</summary>
internal static class LiveTensors
{
    /// <summary>The number of Tensor objects created and not yet disposed or finalized.</summary>
    public static long Count => torch.Tensor.TotalCount;

    /// <summary><see cref="Count"/> once the garbage of earlier tests is collected and finalized: the baseline of a
    /// comparison, which a finalizer running later (and lowering the count) would otherwise move.</summary>
    public static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Count;
    }
}

