namespace NeuralNet.Torch.Persistence;

/// <summary>A checkpoint was read, but its keys, shapes or element types do not fit the model. Nothing in the model was
/// changed.</summary>
/// <remarks>The message lists everything that is off, on one line: <c>missing keys: [...]</c>,
/// <c>unexpected keys: [...]</c>, and each mismatch as <c>name: expected [512, 784], found [784, 512]</c> or
/// <c>name: expected float32, found float16</c>.</remarks>
public sealed class CheckpointMismatchException : CheckpointException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The checkpoint file.</param>
    /// <param name="message">The whole message.</param>
    /// <param name="missingKeys">Keys of the model that the file lacks (empty in non-strict mode).</param>
    /// <param name="unexpectedKeys">Keys of the file that the model lacks (empty in non-strict mode).</param>
    /// <param name="mismatches">One entry per key present in both whose shape or element type differs, as
    /// <c>name: expected X, found Y</c>.</param>
    public CheckpointMismatchException(
        string filePath, string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<string> mismatches)
        : base(filePath, message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
    }

    /// <summary>Keys of the model's state_dict that the file does not have.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys in the file that the model's state_dict does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Shape and element-type mismatches, each <c>name: expected X, found Y</c>.</summary>
    public IReadOnlyList<string> Mismatches { get; }
}
