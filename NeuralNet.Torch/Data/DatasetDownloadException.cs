namespace NeuralNet.Torch.Data;

/// <summary>A dataset file could not be downloaded from any mirror. Nothing was left behind: partial and corrupt
/// downloads are deleted.</summary>
public sealed class DatasetDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fileName">The file that could not be fetched.</param>
    /// <param name="failures">One line per mirror tried: the URL and what went wrong.</param>
    public DatasetDownloadException(string fileName, IReadOnlyList<string> failures)
        : base($"Could not download {fileName}: " + (failures.Count == 0 ? "no mirror to try." : string.Join("; ", failures)))
    {
        FileName = fileName;
        Failures = failures;
    }

    /// <summary>The file that could not be fetched.</summary>
    public string FileName { get; }

    /// <summary>One entry per mirror tried, in order: the URL and the reason (HTTP status, connection error,
    /// incomplete body, md5 mismatch).</summary>
    public IReadOnlyList<string> Failures { get; }
}
