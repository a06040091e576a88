using System.Collections;
using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Data;

/// <summary>
/// Splits an <see cref="IDataset"/> (an <see cref="ImageDataset"/>, a <see cref="TensorDataset"/>) into batches, like PyTorch's <c>DataLoader(dataset, batch_size,
/// shuffle)</c>: each enumeration is one epoch; the last batch holds the remainder (<c>drop_last=False</c>).
/// </summary>
/// <remarks>
/// <para>No epoch copies the set. In order (<c>shuffle: false</c>), a batch is a view (<c>narrow</c>) of the
/// dataset's tensors; shuffled, it is an <c>index_select</c> of one batch's rows through a permutation drawn once
/// per epoch with <c>torch.randperm</c>. With a device other than the CPU, each batch is copied there.</para>
/// <para>Shuffling with a seed uses a <c>torch.Generator</c> seeded once, so successive epochs get different
/// orders and a new loader with the same seed repeats them; the first epoch's order is libtorch's
/// <c>randperm(n)</c> drawn from a generator seeded with <c>seed</c>, the call PyTorch's <c>RandomSampler</c> makes
/// (not compared with Python here). Without a seed, libtorch's global
/// generator is used (reproducible after <c>torch.manual_seed</c>), as PyTorch's DataLoader does.</para>
/// <para>Each <see cref="Batch"/> belongs to the caller: dispose it, or enumerate inside a dispose scope.
/// Tensors the loader makes for its own use (the permutation) are kept out of the caller's dispose scopes and
/// freed when the enumeration ends. Dispose the loader to free the seeded generator. Not thread-safe.</para>
/// </remarks>
public sealed class BatchLoader : IEnumerable<Batch>, IDisposable
{
    private readonly Generator? _generator;

    /// <summary>Creates the loader.</summary>
    /// <param name="dataset">The data; it must outlive the loader's enumerations.</param>
    /// <param name="batchSize">Samples per batch (the quickstart uses 64).</param>
    /// <param name="shuffle">Draw a new order each epoch (the quickstart's loaders do not shuffle).</param>
    /// <param name="seed">Seed for the shuffle; null uses libtorch's global generator. Ignored without <paramref name="shuffle"/>.</param>
    /// <param name="device">Where batches go; null keeps them on the CPU.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataset"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    /// <exception cref="ObjectDisposedException"><paramref name="dataset"/> was disposed.</exception>
    /// <exception cref="ArgumentException">The dataset's inputs and labels disagree on N (a custom
    /// <see cref="IDataset"/>).</exception>
    public BatchLoader(IDataset dataset, int batchSize = 64, bool shuffle = false, long? seed = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ObjectDisposedException.ThrowIf(dataset.IsDisposed, dataset);
        TorchRuntime.EnsureInitialized();
        if (dataset.Inputs.dim() == 0 || dataset.Labels.dim() == 0 || dataset.Inputs.shape[0] != dataset.Labels.shape[0])
        {
            throw new ArgumentException(
                $"Expected one label per input; found inputs {ShapeText.Of(dataset.Inputs.shape)} and labels {ShapeText.Of(dataset.Labels.shape)}.",
                nameof(dataset));
        }
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        Device = device;
        if (shuffle && seed is { } s)
        {
            _generator = new Generator(unchecked((ulong)s));
        }
    }

    /// <summary>The dataset batched (<c>dataloader.dataset</c>).</summary>
    public IDataset Dataset { get; }

    /// <summary>Samples per batch (all but possibly the last).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch draws a new order.</summary>
    public bool Shuffle { get; }

    /// <summary>The seeded shuffle generator (null without a seed): its state is part of a training checkpoint.</summary>
    internal Generator? ShuffleGenerator => _generator;

    /// <summary>Where batches go; null means the CPU.</summary>
    public Device? Device { get; }

    /// <summary>The number of samples in an epoch (<c>len(dataloader.dataset)</c>).</summary>
    public long SampleCount => Dataset.Count;

    /// <summary>The number of batches in an epoch, <c>ceil(N / BatchSize)</c> (<c>len(dataloader)</c>).</summary>
    public int BatchCount => (int)((Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Yields one epoch of batches.</summary>
    /// <returns>The batches, in order or shuffled; each is the caller's to dispose.</returns>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public IEnumerator<Batch> GetEnumerator()
    {
        ObjectDisposedException.ThrowIf(Dataset.IsDisposed, Dataset);
        return Enumerate();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Frees the seeded generator, if any.</summary>
    public void Dispose() => _generator?.Dispose();

    private IEnumerator<Batch> Enumerate()
    {
        var count = Dataset.Count;
        Tensor? permutation = null;
        try
        {
            if (Shuffle)
            {
                permutation = randperm(count, generator: _generator).DetachFromDisposeScope();
            }
            var index = 0;
            for (long offset = 0; offset < count; offset += BatchSize, index++)
            {
                var size = Math.Min(BatchSize, count - offset);
                Tensor inputs, labels;
                if (permutation is null)
                {
                    inputs = Dataset.Inputs.narrow(0, offset, size);
                    labels = Dataset.Labels.narrow(0, offset, size);
                }
                else
                {
                    using var rows = permutation.narrow(0, offset, size);
                    inputs = Dataset.Inputs.index_select(0, rows);
                    labels = Dataset.Labels.index_select(0, rows);
                }
                if (Device is { } device && device.type != DeviceType.CPU)
                {
                    inputs = MoveTo(inputs, device);
                    labels = MoveTo(labels, device);
                }
                yield return new Batch(index, offset, inputs, labels);
            }
        }
        finally
        {
            permutation?.Dispose();
        }
    }

    private static Tensor MoveTo(Tensor tensor, Device device)
    {
        using (tensor)
        {
            return tensor.to(device);
        }
    }
}
