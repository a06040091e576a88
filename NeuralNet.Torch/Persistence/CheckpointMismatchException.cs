namespace NeuralNet.Torch.Persistence;

/// <summary>A checkpoint (or a state_dict given in memory) was read, but its keys, shapes or element types do not fit
/// the model. Nothing in the model was changed.</summary>
/// <remarks>The message lists everything that is off, on one line: <c>missing keys: [...]</c>,
/// <c>unexpected keys: [...]</c>, and each mismatch as <c>name: expected [512, 784], found [784, 512]</c> or
/// <c>name: expected float32, found float16</c>, then in parentheses what would fix it (the option to set).
/// <see cref="CheckpointException.FilePath"/> is empty for a state_dict given to <see cref="Checkpoint.LoadStateDict"/>.</remarks>
public sealed class CheckpointMismatchException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The checkpoint file.</param>
    /// <param name="message">The whole message.</param>
    /// <param name="missingKeys">Keys of the model that the file lacks (empty in non-strict mode).</param>
    /// <param name="unexpectedKeys">Keys of the file that the model lacks (empty in non-strict mode).</param>
    /// <param name="mismatches">One entry per key present in both whose shape or element type differs, as
    /// <c>name: expected X, found Y</c>.</param>
    /// <param name="suggestedStripPrefix">The prefix whose removal would make the keys match, if there is one.</param>
    public CheckpointMismatchException(
        string filePath, string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> mismatches, string? suggestedStripPrefix = null)
        : base(filePath, message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
        SuggestedStripPrefix = suggestedStripPrefix;
    }

    /// <summary>Keys of the model's state_dict that the file does not have.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys in the file that the model's state_dict does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Shape and element-type mismatches, each <c>name: expected X, found Y</c>.</summary>
    public IReadOnlyList<string> Mismatches { get; }

    /// <summary>The prefix every key of the file carries and whose removal makes the keys match the model's exactly
    /// (<c>module.</c>, <c>model.</c>): the value for <see cref="CheckpointLoadOptions.StripPrefix"/>. Null when there
    /// is none.</summary>
    public string? SuggestedStripPrefix { get; }
}
