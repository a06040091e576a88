using NeuralNet.Torch.Native;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Persistence;

/// <summary>
/// Loads and saves a module's parameters and buffers (its state_dict) as PyTorch <c>.pt</c>/<c>.pth</c> files,
/// safetensors, or TorchSharp's own format: strictly, all-or-nothing, and atomically.
/// </summary>
/// <remarks>
/// <para><b>Formats.</b> On load the format is detected from the file's bytes (a zip archive is PyTorch's, an 8-byte
/// length followed by <c>{</c> is safetensors, anything else must parse as TorchSharp's format); the name does not
/// matter. On save it comes from the extension (<see cref="FormatFromExtension"/>) unless given.</para>
/// <para><b>PyTorch files</b> are read by a restricted unpickler of this library, never by executing the pickle: only
/// the globals a state_dict needs are accepted (a subset of <c>torch.load(weights_only=True)</c>'s allow-list), and a
/// file asking for anything else, such as <c>posix.system</c> or <c>builtins.eval</c>, is refused with a message naming
/// it. Tensors saved on <c>cuda:0</c>, <c>mps</c> or any other device are read onto the CPU and then copied to the
/// device of the model's own tensors. TorchSharp.PyBridge is not used: it checks shapes weakly, converts element types
/// silently and leaves <c>requires_grad</c> false after a load.</para>
/// <para><b>Loading</b> reads and validates the whole file first, then compares every key, shape and element type
/// with <c>module.state_dict()</c>, and only then copies, under <c>no_grad</c>, into the existing tensors. So a failed
/// load leaves every parameter bit-for-bit as it was; parameters stay the same objects (optimizers keep working) and
/// keep <c>requires_grad</c>. Every temporary tensor is disposed.</para>
/// <para><b>Element types.</b> A tensor must have the model's element type. Other floating-point types (float64,
/// float16, bfloat16) are converted only when <see cref="CheckpointLoadOptions.ConvertFloatingPoint"/> is set;
/// otherwise the load is refused naming both types.</para>
/// <para><b>Saving</b> writes a temporary file in the target's folder, flushes it to disk and renames it over the
/// target: readers see the old file or the complete new one, and a failure leaves the old file and no temporary file.</para>
/// <para>Limits: each tensor at most 2 GiB; PyTorch archives at most 4 GiB (no zip64 writing); little-endian hosts.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>Loads a checkpoint into <paramref name="module"/>, like PyTorch's
    /// <c>model.load_state_dict(torch.load(path, weights_only=True))</c>.</summary>
    /// <param name="module">The model (or any TorchSharp module); its tensors may be on any device.</param>
    /// <param name="path">A PyTorch, safetensors or TorchSharp checkpoint (the format is detected from the bytes).</param>
    /// <param name="options">Strictness and element-type conversion; <see cref="CheckpointLoadOptions.Default"/>
    /// (strict, no conversion) when null.</param>
    /// <returns>The keys that did not match: empty in strict mode (its <c>ToString()</c> is
    /// <c>&lt;All keys matched successfully&gt;</c>); in non-strict mode the missing and unexpected keys.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace.</exception>
    /// <exception cref="CheckpointMismatchException">Keys (in strict mode), shapes or element types do not match; the
    /// message lists them all and nothing was changed.</exception>
    /// <exception cref="CheckpointException">The file is missing, a directory, empty, truncated, corrupt, not a
    /// checkpoint, or asks for a refused pickle global; nothing was changed.</exception>
    public static IncompatibleKeys LoadCheckpoint(this Module module, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        TorchRuntime.EnsureInitialized();
        var (fullPath, _, entries) = CheckpointFile.Read(path);
        return StateDictTransfer.Apply(module, entries, options ?? CheckpointLoadOptions.Default, fullPath);
    }

    /// <summary>Saves the state_dict of <paramref name="module"/>, atomically.</summary>
    /// <param name="module">The model (or any TorchSharp module); tensors on any device are copied to the CPU first.</param>
    /// <param name="path">The file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="format">The format; when null it is chosen by the extension (see <see cref="FormatFromExtension"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="format"/> is null and the extension is not one of
    /// <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>, <c>.dat</c>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined value.</exception>
    /// <exception cref="CheckpointException">The target is a directory, its folder does not exist, writing failed, or
    /// a tensor's element type cannot be stored in the format (complex in safetensors); the previous file is unchanged.</exception>
    public static void SaveCheckpoint(this Module module, string path, CheckpointFormat? format = null) =>
        Save(module, path, format, wrapStream: null);

    /// <summary>Lists the tensors of a checkpoint file (reading and validating all of it) without a model.</summary>
    /// <param name="path">A PyTorch, safetensors or TorchSharp checkpoint.</param>
    /// <returns>The format and the tensors' names, element types and shapes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace.</exception>
    /// <exception cref="CheckpointException">As for <see cref="LoadCheckpoint"/>.</exception>
    public static CheckpointInfo Inspect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var (fullPath, format, entries) = CheckpointFile.Read(path);
        return new CheckpointInfo(fullPath, format, entries.Select(e => new CheckpointTensorInfo(e.Name, e.DType, e.Shape)).ToList());
    }

    /// <summary>Detects a file's format from its bytes.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The format.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace.</exception>
    /// <exception cref="CheckpointException">The file is missing, a directory, empty, a bare (pre-1.6) pickle, or of
    /// no known format.</exception>
    public static CheckpointFormat DetectFormat(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CheckpointFile.DetectFormat(path);
    }

    /// <summary>The format <see cref="SaveCheckpoint"/> uses for a file name: <c>.pt</c>, <c>.pth</c> and <c>.bin</c>
    /// (Hugging Face's <c>pytorch_model.bin</c>) are PyTorch, <c>.safetensors</c> is safetensors, <c>.dat</c> (the
    /// extension TorchSharp's documentation uses for <c>Module.save</c>) is TorchSharp. Case-insensitive.</summary>
    /// <param name="path">A file name or path.</param>
    /// <returns>The format.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">The extension is none of the above.</exception>
    public static CheckpointFormat FormatFromExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".pt" or ".pth" or ".bin" => CheckpointFormat.PyTorch,
            ".safetensors" => CheckpointFormat.SafeTensors,
            ".dat" => CheckpointFormat.TorchSharp,
            var other => throw new ArgumentException(
                $"Cannot choose a checkpoint format for '{path}' from its extension '{other}': use .pt, .pth or .bin " +
                "(PyTorch), .safetensors, or .dat (TorchSharp), or pass a CheckpointFormat.", nameof(path)),
        };
    }

    /// <summary><see cref="SaveCheckpoint"/> with a hook for tests to wrap the file stream (to fail part-way).</summary>
    internal static void Save(Module module, string path, CheckpointFormat? format, Func<Stream, Stream>? wrapStream)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var chosen = format ?? FormatFromExtension(path);
        if (!Enum.IsDefined(chosen))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Expected a defined CheckpointFormat.");
        }
        TorchRuntime.EnsureInitialized();
        var fullPath = Path.GetFullPath(path);
        List<StateEntry> entries;
        try
        {
            entries = StateDictTransfer.Snapshot(module);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(fullPath, $"Cannot save checkpoint '{fullPath}': {e.Message}.", e);
        }
        CheckpointFile.WriteAtomically(fullPath, stream =>
        {
            switch (chosen)
            {
                case CheckpointFormat.PyTorch:
                    PyTorchCheckpointWriter.Write(stream, entries, fullPath);
                    break;
                case CheckpointFormat.SafeTensors:
                    SafeTensorsFormat.Write(stream, entries);
                    break;
                default:
                    TorchSharpFormat.Write(stream, entries);
                    break;
            }
        }, wrapStream);
    }
}
