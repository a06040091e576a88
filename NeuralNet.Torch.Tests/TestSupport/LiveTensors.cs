using TorchSharp;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Counts live native tensors (TorchSharp's process-wide count of undisposed Tensor objects).</summary>
internal static class LiveTensors
{
    /// <summary>The number of Tensor objects created and not yet disposed or finalized.</summary>
    public static long Count => torch.Tensor.TotalCount;
}

