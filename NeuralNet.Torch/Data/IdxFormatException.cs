namespace NeuralNet.Torch.Data;

/// <summary>An IDX file (MNIST's image and label format) is missing, malformed or does not match its partner file.
/// The message names the file and says what is wrong: empty, truncated, wrong magic number, bad dimensions, not
/// gzip although named <c>.gz</c>, or image and label counts that differ.</summary>
public sealed class IdxFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file that is wrong.</param>
    /// <param name="message">What is wrong; the file's path should appear in it.</param>
    /// <param name="innerException">The underlying error (for example a gzip decoding error), if any.</param>
    public IdxFormatException(string filePath, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file that is wrong (for an image/label count mismatch: the labels file).</summary>
    public string FilePath { get; }
}
