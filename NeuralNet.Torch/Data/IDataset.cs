using static TorchSharp.torch;

namespace NeuralNet.Torch.Data;

/// <summary>Samples held as two tensors that share their first dimension, the <c>(X, y)</c> a PyTorch
/// <c>TensorDataset</c> holds: what <see cref="BatchLoader"/> batches and <see cref="Training.Trainer"/> trains on.</summary>
/// <remarks>
/// <para>Inputs are <c>[N, ...]</c> of any dtype (float images, int64 token ids); labels are <c>[N]</c> int64 class
/// indices for classification, or any <c>[N, ...]</c> tensor a loss takes (regression targets, class
/// probabilities). Both live on the CPU and belong to the dataset: callers read them and never dispose them.</para>
/// <para>Implemented by <see cref="ImageDataset"/> and <see cref="TensorDataset"/>.</para>
/// </remarks>
public interface IDataset
{
    /// <summary>The inputs, <c>[N, ...]</c>, on the CPU. Owned by the dataset.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    Tensor Inputs { get; }

    /// <summary>The labels, <c>[N]</c> int64 or <c>[N, ...]</c>, on the CPU. Owned by the dataset.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    Tensor Labels { get; }

    /// <summary>The number of samples, N (Python's <c>len(dataset)</c>).</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    long Count { get; }

    /// <summary>True once the dataset's tensors were freed.</summary>
    bool IsDisposed { get; }
}
