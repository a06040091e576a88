using NeuralNet.Torch.Native;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Persistence;

/// <summary>
/// Loads and saves a module's parameters and buffers (its state_dict) as PyTorch <c>.pt</c>/<c>.pth</c> files,
/// safetensors, or TorchSharp's own format, and loads the weights of TorchScript archives: strictly, all-or-nothing,
/// and atomically.
/// </summary>
/// <remarks>
/// <para><b>Formats.</b> On load the format is detected from the file's bytes (a zip archive is PyTorch's, or
/// TorchScript's when it holds code; an 8-byte length followed by <c>{</c> is safetensors; anything else must parse as
/// TorchSharp's format); the name does not matter. On save it comes from the extension
/// (<see cref="FormatFromExtension"/>) unless given.</para>
/// <para><b>PyTorch files</b> are read by a restricted unpickler of this library, never by executing the pickle: it
/// accepts what <c>torch.load(path, weights_only=True)</c> accepts (PyTorch 2.x's allow-list: dicts, lists, tuples,
/// sets, strings, bytes, numbers, bool, None, <c>torch.Size</c>, <c>torch.device</c>, dtypes and tensors, nested to any
/// depth), and a file asking for anything else, such as <c>posix.system</c>, <c>builtins.eval</c> or a model's own
/// class, is refused with a message naming it before anything is built. Pickle protocols 2 to 5 are read. A file whose
/// top level is not a state_dict (a training checkpoint <c>{"epoch": 5, "model_state_dict": ..., "optimizer_state_dict":
/// ...}</c>, a Lightning checkpoint) is loaded from its one entry that is a dict of tensors, or from the entry
/// <see cref="CheckpointLoadOptions.Entry"/> names. Tensors saved on <c>cuda:0</c>, <c>mps</c> or any other device are
/// read onto the CPU and then copied to the device of the model's own tensors. Legacy (pre-1.6, bare pickle) files are
/// refused. TorchSharp.PyBridge is not used: it checks shapes weakly, converts element types silently and leaves
/// <c>requires_grad</c> false after a load.</para>
/// <para><b>TorchScript archives</b> (<c>torch.jit.save</c>, scripted or traced) are read by libtorch's own loader;
/// their parameters and buffers are copied by state_dict key. To run one without a C# model, see
/// <see cref="TorchScript.Load"/>.</para>
/// <para><b>Loading</b> reads and validates the whole state_dict first, then compares every key, shape and element
/// type with <c>module.state_dict()</c>, and only then copies, under <c>no_grad</c>, into the existing tensors. So a
/// failed load leaves every parameter and buffer bit-for-bit as it was; parameters stay the same objects (optimizers
/// keep working) and keep <c>requires_grad</c>. Every temporary tensor is disposed. When the keys do not match but
/// would without one common prefix (<c>module.</c> of <c>DataParallel</c>), the error names
/// <see cref="CheckpointLoadOptions.StripPrefix"/>.</para>
/// <para><b>Element types.</b> A tensor must have the model's element type. Other floating-point types (float64,
/// float16, bfloat16) are converted only when <see cref="CheckpointLoadOptions.ConvertFloatingPoint"/> is set;
/// otherwise the load is refused naming both types and the option.</para>
/// <para><b>Saving</b> writes a temporary file in the target's folder, flushes it to disk and renames it over the
/// target: readers see the old file or the complete new one, and a failure leaves the old file and no temporary file.
/// PyTorch files are what <c>torch.save(model.state_dict(), path)</c> writes (buffers such as BatchNorm's running
/// statistics included); <c>torch.load(path, weights_only=True)</c> reads them.</para>
/// <para>Limits: each tensor at most 2 GiB; PyTorch archives at most 4 GiB (no zip64 writing); little-endian hosts.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>Loads a checkpoint into <paramref name="module"/>, like PyTorch's
    /// <c>model.load_state_dict(torch.load(path, weights_only=True))</c>.</summary>
    /// <param name="module">The model (or any TorchSharp module); its tensors may be on any device.</param>
    /// <param name="path">A PyTorch, TorchScript, safetensors or TorchSharp checkpoint (the format is detected from
    /// the bytes).</param>
    /// <param name="options">Strictness, element-type conversion, the entry holding the state_dict and a key prefix to
    /// remove; <see cref="CheckpointLoadOptions.Default"/> (strict, no conversion) when null.</param>
    /// <returns>The keys that did not match: empty in strict mode (its <c>ToString()</c> is
    /// <c>&lt;All keys matched successfully&gt;</c>); in non-strict mode the missing and unexpected keys.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, or an option is empty.</exception>
    /// <exception cref="CheckpointMismatchException">Keys (in strict mode), shapes or element types do not match; the
    /// message lists them all, says which option would fix them, and nothing was changed.</exception>
    /// <exception cref="CheckpointException">The file is missing, a directory, empty, truncated, corrupt, not a
    /// checkpoint, asks for a refused pickle global, or holds no single state_dict (the message lists its top-level
    /// keys); nothing was changed.</exception>
    public static IncompatibleKeys LoadCheckpoint(this Module module, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        options ??= CheckpointLoadOptions.Default;
        options.Validate();
        TorchRuntime.EnsureInitialized();
        var contents = CheckpointFile.Read(path, options.Entry);
        return Apply(module, contents.Entries.Select(StateSource.From).ToList(), options, contents.FullPath);
    }

    /// <summary>Loads a state_dict held in memory into <paramref name="module"/>, with the same rules as
    /// <see cref="LoadCheckpoint"/>: strict by default, every key, shape and element type checked before anything is
    /// copied, all or nothing, <see cref="CheckpointLoadOptions.StripPrefix"/> and
    /// <see cref="CheckpointLoadOptions.ConvertFloatingPoint"/> as there (<see cref="CheckpointLoadOptions.Entry"/> does
    /// not apply). PyTorch's <c>model.load_state_dict(state_dict)</c>.</summary>
    /// <param name="module">The model; its tensors may be on any device.</param>
    /// <param name="stateDict">Name -> tensor, e.g. from <see cref="ReadStateDict"/> with keys renamed. The tensors may
    /// be on any device and are only read: they stay the caller's, unchanged and not disposed.</param>
    /// <param name="options">As for <see cref="LoadCheckpoint"/>; the defaults when null.</param>
    /// <returns>As for <see cref="LoadCheckpoint"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="stateDict"/> is null.</exception>
    /// <exception cref="ArgumentException">A value of <paramref name="stateDict"/> is null or disposed, or an option is
    /// empty.</exception>
    /// <exception cref="CheckpointMismatchException">Keys (in strict mode), shapes or element types do not match; the
    /// message lists them all and nothing was changed (its <see cref="CheckpointException.FilePath"/> is empty).</exception>
    /// <exception cref="CheckpointException">Removing <see cref="CheckpointLoadOptions.StripPrefix"/> makes two keys equal;
    /// nothing was changed.</exception>
    public static IncompatibleKeys LoadStateDict(this Module module, IReadOnlyDictionary<string, Tensor> stateDict, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        options ??= CheckpointLoadOptions.Default;
        options.Validate();
        TorchRuntime.EnsureInitialized();
        var sources = new List<StateSource>(stateDict.Count);
        foreach (var (name, tensor) in stateDict)
        {
            if (tensor is null || tensor.IsInvalid)
            {
                throw new ArgumentException($"The state_dict's value for '{name}' is {(tensor is null ? "null" : "a disposed tensor")}.", nameof(stateDict));
            }
            sources.Add(StateSource.From(name, tensor));
        }
        return Apply(module, sources, options, fullPath: null);
    }

    /// <summary>Reads the state_dict of a checkpoint file as tensors, without a model: PyTorch's
    /// <c>torch.load(path, weights_only=True)</c> for the state_dict (for example to rename keys while porting a model,
    /// then <see cref="LoadStateDict"/>).</summary>
    /// <param name="path">A PyTorch, TorchScript, safetensors or TorchSharp checkpoint.</param>
    /// <param name="options"><see cref="CheckpointLoadOptions.Entry"/> and <see cref="CheckpointLoadOptions.StripPrefix"/>
    /// apply (the keys come back without the prefix); <c>Strict</c> and <c>ConvertFloatingPoint</c> do not (nothing is
    /// matched or converted).</param>
    /// <returns>Key -> tensor in the file's order, with the file's element types and shapes, on the CPU, contiguous,
    /// not requiring grad. <b>The caller owns every tensor</b>: dispose each one (or the whole dictionary's values) when
    /// done; they are created in the caller's current dispose scope where there is one, and are then disposed with it.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, or an option is empty.</exception>
    /// <exception cref="CheckpointException">As for <see cref="LoadCheckpoint"/>, or removing the prefix makes two keys
    /// equal.</exception>
    public static OrderedDictionary<string, Tensor> ReadStateDict(string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var contents = Read(path, options);
        TorchRuntime.EnsureInitialized();
        var result = new OrderedDictionary<string, Tensor>(contents.Entries.Count, StringComparer.Ordinal);
        try
        {
            foreach (var entry in contents.Entries)
            {
                result.Add(entry.Name, entry.ToTensor());
            }
        }
        catch
        {
            foreach (var tensor in result.Values)
            {
                tensor.Dispose();
            }
            throw;
        }
        return result;
    }

    /// <summary>Saves the state_dict of <paramref name="module"/>, atomically.</summary>
    /// <param name="module">The model (or any TorchSharp module); tensors on any device are copied to the CPU first.</param>
    /// <param name="path">The file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="format">The format; when null it is chosen by the extension (see <see cref="FormatFromExtension"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="format"/> is null and the extension is not one of
    /// <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.safetensors</c>, <c>.dat</c>; or it is
    /// <see cref="CheckpointFormat.TorchScript"/>, which is only read.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> is not a defined value.</exception>
    /// <exception cref="CheckpointException">The target is a directory, its folder does not exist, writing failed, or
    /// a tensor's element type cannot be stored in the format (complex in safetensors); the previous file is unchanged.</exception>
    public static void SaveCheckpoint(this Module module, string path, CheckpointFormat? format = null) =>
        Save(module, path, format, wrapStream: null);

    /// <summary>Lists the tensors of a checkpoint file's state_dict (reading and validating them) without a model.</summary>
    /// <param name="path">A PyTorch, TorchScript, safetensors or TorchSharp checkpoint.</param>
    /// <param name="options"><see cref="CheckpointLoadOptions.Entry"/> and <see cref="CheckpointLoadOptions.StripPrefix"/>
    /// apply as for <see cref="ReadStateDict"/>; the defaults when null.</param>
    /// <returns>The format, the entry the state_dict came from, and the tensors' names, element types and shapes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, or an option is empty.</exception>
    /// <exception cref="CheckpointException">As for <see cref="ReadStateDict"/>.</exception>
    public static CheckpointInfo Inspect(string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var contents = Read(path, options);
        return new CheckpointInfo(contents.FullPath, contents.Format,
            contents.Entries.Select(e => new CheckpointTensorInfo(e.Name, e.DType, e.Shape)).ToList(), contents.Entry);
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

    /// <summary>Reads a file's state_dict with <see cref="CheckpointLoadOptions.Entry"/> and
    /// <see cref="CheckpointLoadOptions.StripPrefix"/> applied.</summary>
    private static CheckpointContents Read(string path, CheckpointLoadOptions? options)
    {
        options ??= CheckpointLoadOptions.Default;
        options.Validate();
        var contents = CheckpointFile.Read(path, options.Entry);
        if (options.StripPrefix is not { } prefix)
        {
            return contents;
        }
        var renamed = CheckpointFile.Guard(contents.FullPath, $"Cannot read checkpoint '{contents.FullPath}'",
            () => StateDictKeys.Strip(contents.Entries, e => e.Name, (e, name) => e with { Name = name }, prefix).Items);
        return contents with { Entries = renamed };
    }

    private static IncompatibleKeys Apply(Module module, List<StateSource> sources, CheckpointLoadOptions options, string? fullPath) =>
        StateDictTransfer.Apply(module, sources, options, fullPath);

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
        if (chosen == CheckpointFormat.TorchScript)
        {
            throw new ArgumentException(
                "TorchScript archives are read, not written: a TorchScript archive holds the model's code, which a C# " +
                "model does not have. Save CheckpointFormat.PyTorch (a state_dict) instead.", nameof(format));
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
