namespace NeuralNet.Torch.Persistence;

/// <summary>A checkpoint file could not be read, written, or applied to a model. The message names the file and the
/// problem (missing, empty, truncated, corrupt, not a checkpoint, a refused pickle global, ...).</summary>
/// <remarks>Raw zip, pickle, JSON and I/O exceptions never escape a checkpoint operation: they are wrapped in this type
/// (kept as <see cref="Exception.InnerException"/> where there is one).</remarks>
public class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The checkpoint file concerned.</param>
    /// <param name="message">The whole message (it should name <paramref name="filePath"/>).</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public CheckpointException(string filePath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The checkpoint file concerned (full path).</summary>
    public string FilePath { get; }
}
