using TorchSharp;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Counts live native tensors (TorchSharp's process-wide count of undisposed Tensor objects).</summary>
internal static class LiveTensors
{
    /// <summary>The number of Tensor objects created and not yet disposed or finalized.</summary>
    public static long Count => torch.Tensor.TotalCount;

    /// <summary>The count once the garbage that earlier code left behind has been finalized, so that a later
    /// finalizer run does not move the count while a test measures. Take the baseline with this and the final
    /// reading with <see cref="Count"/>: a leak left to the finalizer must not be collected away before it is seen.</summary>
    public static long Settled
    {
        get
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return Count;
        }
    }
}
