namespace NeuralNet.Torch.Data;

/// <summary>How <see cref="IdxDatasetSource.DownloadAsync"/> fetches files. Every property is optional.</summary>
public sealed record DatasetDownloadOptions
{
    /// <summary>The defaults: the dataset's official mirrors, a private <see cref="System.Net.Http.HttpClient"/>,
    /// no log, both splits.</summary>
    public static DatasetDownloadOptions Default { get; } = new();

    /// <summary>Base URLs to try in order instead of the dataset's own mirrors (a local mirror, a proxy); each file is
    /// fetched from <c>base + file name</c>. The md5 checksums are still the dataset's.</summary>
    public IReadOnlyList<Uri>? Mirrors { get; init; }

    /// <summary>The client to use (its timeout, proxy and handlers apply); null makes one for the call.</summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>Where to write one line per attempt (<c>Downloading URL to PATH</c>) and per failed mirror; null
    /// writes nothing.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Fetch only this split's two files; null fetches all four.</summary>
    public DatasetSplit? Split { get; init; }
}
