using NeuralNet.Torch.Native;
using NeuralNet.Torch.Persistence;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// A live module's state_dict as PyTorch's <c>model.state_dict()</c> lists it: every key in PyTorch's order
/// (parameters AND buffers such as BatchNorm's <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>),
/// with element type, shape, parameter or buffer, and trainable or not; and the comparison of a module against a
/// checkpoint file, the check people do by hand when porting a model.
/// </summary>
/// <remarks>
/// <para>PyTorch's order: each module's own parameters, then its own persistent buffers, then its children's
/// entries, depth first in registration order. TorchSharp's own <c>state_dict()</c> holds the same keys but lists
/// every parameter before every buffer. A TorchScript module (<c>torch.jit.load</c>) lists libtorch's order.</para>
/// </remarks>
public sealed class StateDictReport
{
    private StateDictReport(IReadOnlyList<StateDictEntry> entries) => Entries = entries;

    /// <summary>The entries in PyTorch's order.</summary>
    public IReadOnlyList<StateDictEntry> Entries { get; }

    /// <summary>Lists a module's state_dict.</summary>
    /// <param name="module">Any module; it is not changed.</param>
    /// <returns>The report (no tensors: keys, element types, shapes and kinds only).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is null.</exception>
    public static StateDictReport Create(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        TorchRuntime.EnsureInitialized();
        return new StateDictReport(StateDictOrder.Walk(module)
            .Select(item => new StateDictEntry(item.Key, item.Tensor.dtype, item.Tensor.shape, item.IsParameter, item.IsParameter && item.Tensor.requires_grad))
            .ToList());
    }

    /// <summary>Compares a module's state_dict with a checkpoint file's tensors (read with
    /// <see cref="Checkpoint.Inspect"/>), without loading anything into the module.</summary>
    /// <param name="module">The module; it is not changed.</param>
    /// <param name="checkpointPath">A PyTorch (<c>.pt</c>/<c>.pth</c>), safetensors or TorchSharp checkpoint.</param>
    /// <returns>The missing keys, unexpected keys and shape/dtype mismatches.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="checkpointPath"/> is empty or white space.</exception>
    /// <exception cref="CheckpointException">The file is missing, unreadable or of no known format (as for
    /// <see cref="Checkpoint.Inspect"/>).</exception>
    public static StateDictComparison Compare(nn.Module module, string checkpointPath)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(checkpointPath);
        return Create(module).CompareWith(Checkpoint.Inspect(checkpointPath));
    }

    /// <summary>Compares these entries with a checkpoint's tensors, key by key.</summary>
    /// <param name="checkpoint">What <see cref="Checkpoint.Inspect"/> read from a file.</param>
    /// <returns>The missing keys, unexpected keys and shape/dtype mismatches.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="checkpoint"/> is null.</exception>
    public StateDictComparison CompareWith(CheckpointInfo checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var file = new Dictionary<string, CheckpointTensorInfo>(StringComparer.Ordinal);
        foreach (var tensor in checkpoint.Tensors)
        {
            file.TryAdd(tensor.Name, tensor);
        }
        var keys = Entries.Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var mismatches = new List<StateDictMismatch>();
        foreach (var entry in Entries)
        {
            if (file.TryGetValue(entry.Key, out var stored) && (stored.DType != entry.DType || !stored.Shape.SequenceEqual(entry.Shape)))
            {
                mismatches.Add(new StateDictMismatch(entry.Key, entry.DType, entry.Shape, stored.DType, stored.Shape));
            }
        }
        return new StateDictComparison(
            checkpoint.FilePath,
            Entries.Where(e => !file.ContainsKey(e.Key)).Select(e => e.Key).ToList(),
            checkpoint.Tensors.Select(t => t.Name).Where(n => !keys.Contains(n)).Distinct(StringComparer.Ordinal).ToList(),
            mismatches);
    }

    /// <summary>One line per entry, as <see cref="StateDictEntry.ToString"/> writes it.</summary>
    /// <returns>The lines, separated by <c>\n</c>.</returns>
    public override string ToString() => string.Join("\n", Entries);
}
