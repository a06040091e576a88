using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Data;

/// <summary>Any inputs with their labels, like PyTorch's <c>torch.utils.data.TensorDataset(inputs, labels)</c>:
/// token ids <c>[N, T]</c> with int64 classes <c>[N]</c>, feature rows <c>[N, F]</c> with float targets <c>[N, K]</c>,
/// images of any size.</summary>
/// <remarks>
/// <para>The dataset takes its own reference to each tensor's storage (no copy); the caller still owns and disposes
/// the tensors it passed. Batches are views or <c>index_select</c>s of these tensors (see <see cref="BatchLoader"/>).</para>
/// <para>Read-only by contract; safe to read from several threads. Dispose it to release its references.</para>
/// <para>TorchSharp has a <c>TorchSharp.Modules.TensorDataset</c> of its own (for its <c>DataLoader</c>): in a file
/// that imports both namespaces, write <c>NeuralNet.Torch.Data.TensorDataset</c>.</para>
/// </remarks>
public sealed class TensorDataset : IDataset, IDisposable
{
    private readonly Tensor _inputs;
    private readonly Tensor _labels;

    /// <summary>Wraps the two tensors.</summary>
    /// <param name="inputs"><c>[N, ...]</c> (at least one dimension), any dtype, on the CPU.</param>
    /// <param name="labels"><c>[N]</c> int64 class indices for classification, or any <c>[N, ...]</c> tensor the
    /// loss takes; on the CPU.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A tensor is 0-d or not on the CPU, or the two disagree on N (the message
    /// names both counts).</exception>
    public TensorDataset(Tensor inputs, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        TorchRuntime.EnsureInitialized();
        Check(inputs, nameof(inputs));
        Check(labels, nameof(labels));
        if (inputs.shape[0] != labels.shape[0])
        {
            throw new ArgumentException(
                $"Expected one label per input; found {inputs.shape[0]} inputs {ShapeText.Of(inputs.shape)} and {labels.shape[0]} labels {ShapeText.Of(labels.shape)}.",
                nameof(labels));
        }
        _inputs = inputs.alias().DetachFromDisposeScope();
        _labels = labels.alias().DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public Tensor Inputs => IsDisposed ? throw new ObjectDisposedException(nameof(TensorDataset)) : _inputs;

    /// <inheritdoc/>
    public Tensor Labels => IsDisposed ? throw new ObjectDisposedException(nameof(TensorDataset)) : _labels;

    /// <inheritdoc/>
    public long Count => Labels.shape[0];

    /// <inheritdoc/>
    public bool IsDisposed { get; private set; }

    /// <summary>Releases the dataset's references to the tensors. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            _inputs.Dispose();
            _labels.Dispose();
        }
    }

    private static void Check(Tensor tensor, string parameter)
    {
        if (tensor.dim() == 0 || tensor.device_type != DeviceType.CPU)
        {
            throw new ArgumentException(
                $"Expected a CPU tensor [N, ...] with at least one dimension; found {tensor.dtype} {ShapeText.Of(tensor.shape)} on {tensor.device}.",
                parameter);
        }
    }
}
