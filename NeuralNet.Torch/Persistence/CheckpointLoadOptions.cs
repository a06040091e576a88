namespace NeuralNet.Torch.Persistence;

/// <summary>How <see cref="Checkpoint.LoadCheckpoint"/>, <see cref="Checkpoint.LoadStateDict"/>,
/// <see cref="Checkpoint.ReadStateDict"/> and <see cref="Checkpoint.Inspect"/> find a file's state_dict and match it to
/// a model.</summary>
public sealed record CheckpointLoadOptions
{
    /// <summary>The defaults: strict, no element-type conversion, the state_dict found by itself, no prefix removed.</summary>
    public static CheckpointLoadOptions Default { get; } = new();

    /// <summary>True (default): every key of the model must be in the file and every key of the file in the model,
    /// as PyTorch's <c>load_state_dict(strict=True)</c>. False: keys on one side only are skipped and reported in the
    /// returned <see cref="IncompatibleKeys"/>, as <c>strict=False</c>. Shape and element-type mismatches of keys on
    /// both sides are refused either way (PyTorch refuses size mismatches even with <c>strict=False</c>).</summary>
    public bool Strict { get; init; } = true;

    /// <summary>False (default): a tensor whose element type differs from the model's is refused, naming both types.
    /// True: a floating-point tensor (float64, float16, bfloat16) is converted to the model's floating-point type
    /// (rounding to nearest, as <c>Tensor.to(dtype)</c>). Integer and bool tensors are never converted.</summary>
    public bool ConvertFloatingPoint { get; init; }

    /// <summary>The top-level key of a PyTorch file whose state_dict is one entry of a dict, e.g.
    /// <c>model_state_dict</c> for <c>torch.save({"epoch": 5, "model_state_dict": model.state_dict(), ...})</c> or
    /// <c>state_dict</c> for a PyTorch Lightning checkpoint. Null (default): a file whose top level is a state_dict is
    /// loaded as it is, and otherwise from its one entry that is a dict of tensors; with none or several, the load is
    /// refused listing every top-level key and which of them hold dicts of tensors. Only PyTorch files have entries.</summary>
    public string? Entry { get; init; }

    /// <summary>A prefix removed from every key of the file that starts with it before matching, e.g. <c>module.</c>
    /// (a model saved from <c>nn.DataParallel</c> or <c>DistributedDataParallel</c>) or <c>model.</c> (a Lightning
    /// module's attribute): PyTorch's <c>torch.nn.modules.utils.consume_prefix_in_state_dict_if_present</c>. Keys without
    /// it are kept. Null (default): keys are used as they are; when a strict load fails and removing one common prefix
    /// would make the keys match, the error says so and names this option.</summary>
    public string? StripPrefix { get; init; }

    /// <summary>Checks the options' values.</summary>
    /// <exception cref="ArgumentException"><see cref="Entry"/> or <see cref="StripPrefix"/> is empty.</exception>
    internal void Validate()
    {
        if (Entry is { Length: 0 })
        {
            throw new ArgumentException("CheckpointLoadOptions.Entry is empty: give a top-level key, or null to find the state_dict.", "options");
        }
        if (StripPrefix is { Length: 0 })
        {
            throw new ArgumentException("CheckpointLoadOptions.StripPrefix is empty: give a prefix such as \"module.\", or null.", "options");
        }
    }
}
