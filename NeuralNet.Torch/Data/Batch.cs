using static TorchSharp.torch;

namespace NeuralNet.Torch.Data;

/// <summary>One batch from a <see cref="BatchLoader"/>: the <c>(X, y)</c> of a PyTorch <c>DataLoader</c> loop.</summary>
/// <remarks>The batch owns its two tensors; dispose it (or let the enclosing dispose scope do it) when the step is
/// done. Disposing twice is harmless.</remarks>
public sealed class Batch : IDisposable
{
    internal Batch(int index, long offset, Tensor inputs, Tensor labels)
    {
        Index = index;
        Offset = offset;
        Inputs = inputs;
        Labels = labels;
    }

    /// <summary>The batch's number in the epoch, from 0 (the <c>batch</c> of <c>enumerate(dataloader)</c>).</summary>
    public int Index { get; }

    /// <summary>How many samples the epoch yielded before this batch (<c>Index * batchSize</c>).</summary>
    public long Offset { get; }

    /// <summary>Inputs <c>[B, ...]</c> (images <c>[B, C, H, W]</c> float32 for an <see cref="ImageDataset"/>), the
    /// dataset's dtype, on the loader's device.</summary>
    public Tensor Inputs { get; }

    /// <summary>Labels <c>[B]</c> int64 (or <c>[B, ...]</c>, the dataset's label shape), on the loader's device.</summary>
    public Tensor Labels { get; }

    /// <summary>The number of samples in this batch, B (<c>len(X)</c>): the batch size, or fewer for the last batch.</summary>
    public long Size => Labels.shape[0];

    /// <summary>Frees the batch's tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}
