using TorchSharp;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Persistence;

/// <summary>Moves tensors between a module's state_dict and managed <see cref="StateEntry"/> values.</summary>
internal static class StateDictTransfer
{
    /// <summary>Copies every state_dict tensor of <paramref name="module"/> to managed memory (CPU, contiguous).</summary>
    /// <exception cref="InvalidDataException">A tensor has an element type no checkpoint format stores (quantized).</exception>
    public static List<StateEntry> Snapshot(Module module)
    {
        using var scope = NewDisposeScope();
        var entries = new List<StateEntry>();
        foreach (var (name, tensor) in module.state_dict())
        {
            if (!DTypes.IsSupported(tensor.dtype))
            {
                throw new InvalidDataException($"tensor '{name}' has the element type {tensor.dtype}, which no checkpoint format here stores");
            }
            var shape = tensor.shape;
            var data = tensor.numel() == 0 ? [] : tensor.detach().cpu().contiguous().bytes.ToArray();
            entries.Add(new StateEntry(name, tensor.dtype, shape, data));
        }
        return entries;
    }

    /// <summary>Checks every key, shape and element type first, then copies the tensors into the module. Nothing is
    /// changed unless everything fits.</summary>
    /// <param name="module">The model.</param>
    /// <param name="sources">The file's (or dictionary's) tensors, in order.</param>
    /// <param name="options">Strictness, conversion and <see cref="CheckpointLoadOptions.StripPrefix"/>.</param>
    /// <param name="fullPath">The file, or null for a state_dict given in memory.</param>
    /// <exception cref="CheckpointMismatchException">Something does not fit; the module is unchanged.</exception>
    /// <exception cref="CheckpointException">Removing the prefix makes two keys equal; the module is unchanged.</exception>
    public static IncompatibleKeys Apply(Module module, IReadOnlyList<StateSource> sources, CheckpointLoadOptions options, string? fullPath)
    {
        var subject = fullPath is null ? "the state_dict" : $"checkpoint '{fullPath}'";
        var stripped = -1;
        if (options.StripPrefix is { } prefix)
        {
            try
            {
                (sources, stripped) = StateDictKeys.Strip(sources, s => s.Name, (s, name) => s with { Name = name }, prefix);
            }
            catch (InvalidDataException e)
            {
                throw new CheckpointException(fullPath ?? "", $"Cannot load {subject}: {e.Message}. Nothing was changed.", e);
            }
        }
        var target = module.state_dict();
        var file = new Dictionary<string, StateSource>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            file[source.Name] = source;
        }
        var missing = target.Keys.Where(k => !file.ContainsKey(k)).ToList();
        var unexpected = sources.Select(e => e.Name).Where(n => !target.ContainsKey(n)).ToList();
        var mismatches = new List<string>();
        var convertible = false;
        foreach (var (name, tensor) in target)
        {
            if (!file.TryGetValue(name, out var entry))
            {
                continue;
            }
            if (!entry.Shape.SequenceEqual(tensor.shape))
            {
                mismatches.Add($"{name}: expected {ShapeText.Of(tensor.shape)}, found {ShapeText.Of(entry.Shape)}");
            }
            else if (entry.DType != tensor.dtype)
            {
                var floating = DTypes.IsSupported(entry.DType) && DTypes.Of(entry.DType).IsFloatingPoint && tensor.is_floating_point();
                if (!(floating && options.ConvertFloatingPoint))
                {
                    mismatches.Add($"{name}: expected {DTypes.Name(tensor.dtype)}, found {DTypes.Name(entry.DType)}");
                    convertible |= floating;
                }
            }
        }

        var keyProblems = options.Strict && (missing.Count > 0 || unexpected.Count > 0);
        if (keyProblems || mismatches.Count > 0)
        {
            var parts = new List<string>();
            if (options.Strict && missing.Count > 0)
            {
                parts.Add("missing keys: " + string.Join(", ", missing));
            }
            if (options.Strict && unexpected.Count > 0)
            {
                parts.Add("unexpected keys: " + string.Join(", ", unexpected));
            }
            parts.AddRange(mismatches);
            var hints = new List<string>();
            var suggested = keyProblems ? StateDictKeys.MatchingPrefix(sources.Select(s => s.Name).ToList(), target.Keys) : null;
            if (suggested is not null)
            {
                hints.Add($"every key of {(fullPath is null ? "the state_dict" : "the file")} starts with '{suggested}': " +
                    $"CheckpointLoadOptions.StripPrefix \"{suggested}\" removes it");
            }
            if (stripped == 0)
            {
                hints.Add($"CheckpointLoadOptions.StripPrefix '{options.StripPrefix}' matched none of the keys");
            }
            if (convertible)
            {
                hints.Add("CheckpointLoadOptions.ConvertFloatingPoint converts floating-point types");
            }
            var hint = hints.Count == 0 ? "" : " (" + string.Join("; ", hints) + ")";
            throw new CheckpointMismatchException(
                fullPath ?? "",
                $"Cannot load {subject} into {module.GetType().Name}: {string.Join("; ", parts)}{hint}. Nothing was changed.",
                options.Strict ? missing : [],
                options.Strict ? unexpected : [],
                mismatches,
                suggested);
        }

        // Everything that can fail (allocation, conversion, the copy to the model's device) happens before the first
        // parameter changes; the commit is same-shape, same-type, same-device copy_ only.
        using var scope = NewDisposeScope();
        var prepared = new List<(Tensor Target, Tensor Source)>();
        foreach (var (name, tensor) in target)
        {
            if (!file.TryGetValue(name, out var entry))
            {
                continue;
            }
            var source = entry.Materialize();
            if (source.dtype != tensor.dtype || source.device_type != tensor.device_type || source.device_index != tensor.device_index)
            {
                source = source.to(tensor.dtype, tensor.device);
            }
            prepared.Add((tensor, source));
        }
        using (no_grad())
        {
            foreach (var (targetTensor, source) in prepared)
            {
                targetTensor.copy_(source);
            }
        }
        return new IncompatibleKeys(options.Strict ? [] : missing, options.Strict ? [] : unexpected);
    }
}
